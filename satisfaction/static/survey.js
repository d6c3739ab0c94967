// After a submit with missing answers, the error summary takes focus: the page opens on
// it and a screen reader reads it first. Without JavaScript it is still the first thing.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});
