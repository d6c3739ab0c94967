// Kiosk: a tablet fixed at the counter goes back to an empty form when left idle, so the
// next citizen never sees the previous one's answers. Without JavaScript a <noscript>
// refresh does the same, later.
(function () {
  var script = document.currentScript;
  var idle = parseInt(script.getAttribute("data-idle-seconds"), 10) * 1000;
  var resetUrl = script.getAttribute("data-reset-url");
  var timer;
  function restart() {
    clearTimeout(timer);
    timer = setTimeout(function () { window.location.replace(resetUrl); }, idle);
  }
  ["pointerdown", "keydown", "input", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  restart();
})();
