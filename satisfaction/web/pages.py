"""Routes that belong to no domain: health check, language choice, the home page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session

from satisfaction.db.engine import database_answers
from satisfaction.web.hooks import TEXT_SIZE_COOKIE

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not (for load balancers)."""
    if not database_answers():
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


def _safe_next(target: str | None) -> str:
    # Only paths on this site: an open redirect would let anyone borrow our domain.
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the visitor's language in the session and go back to where they were."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")), code=303)


@bp.get("/")
def home():
    return render_template("home.html")


@bp.get("/text/<size>")
def text_size(size: str):
    """"Chữ lớn": larger text on every page, remembered in a cookie for a year."""
    response = redirect(_safe_next(request.args.get("next")), code=303)
    if size == "large":
        response.set_cookie(TEXT_SIZE_COOKIE, "large", max_age=365 * 24 * 3600,
                            samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    else:
        response.delete_cookie(TEXT_SIZE_COOKIE)
    return response


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it at the root whatever the page says."""
    response = current_app.send_static_file("favicon.ico")
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 24 * 3600
    return response


@bp.get("/ping")
def ping():
    """A bare endpoint: the ceiling the benchmark compares the survey path with."""
    return "ok"
