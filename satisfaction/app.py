"""The application factory."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote_to_bytes

from flask import Flask, current_app, request, session
from flask_babel import format_datetime, format_decimal, get_locale
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from satisfaction.config import load_config
from satisfaction.db.engine import configure_sqlite
from satisfaction.extensions import babel, csrf, db, migrate
from satisfaction.intake import writelock
from satisfaction.intake.rate_counters import init_rate_counters

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def select_locale() -> str:
    lang = session.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def _is_utf8_urlencoded(body: bytes) -> bool:
    try:
        for pair in body.split(b"&"):
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_request_body() -> None:
    """Refuse query strings and form bodies that are not UTF-8 instead of guessing at them,
    and streamed (chunked) bodies that reach the size limit."""
    if not _is_utf8_urlencoded(request.query_string):
        raise BadRequest()
    if request.mimetype != "application/x-www-form-urlencoded" or request.content_length == 0:
        return
    # get_data caches the body; the form parser then reads from that cache.
    body = request.get_data(cache=True)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and limit is not None and len(body) >= limit:
        # Werkzeug cuts a body without Content-Length at the limit silently.
        raise RequestEntityTooLarge()
    if not _is_utf8_urlencoded(body):
        raise BadRequest()


def create_app(config: dict | None = None) -> Flask:
    """Build the application. ``config`` overrides the environment (tests, tools)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path, config))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "translations")
    )

    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    configure_sqlite(app)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    # Before CSRFProtect, whose check parses the form: the raw body must be read first.
    app.before_request(_check_request_body)
    csrf.init_app(app)
    init_rate_counters(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.after_request
    def commit_session(response):
        # One commit point per request; views and services only flush. A request that
        # never touched the database (a survey form whose code is remembered, /ping) has
        # nothing to end.
        if not db.session.registry.has() or not db.session().in_transaction():
            return response
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    # After the commit above: the SQLite writers' queue is released last (writelock.py).
    app.teardown_request(writelock.release)

    @app.context_processor
    def template_helpers():
        return {
            "current_locale": str(get_locale() or "vi"),
            "format_datetime": format_datetime,
            "format_decimal": format_decimal,
        }

    from admin import bp as admin_bp
    from api import bp as api_bp
    from satisfaction import cli, core, errors
    from survey import bp as survey_bp

    app.register_blueprint(core.bp)
    app.register_blueprint(survey_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    errors.register(app)
    cli.register(app)
    return app
