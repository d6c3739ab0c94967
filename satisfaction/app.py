"""The application factory: it only wires the parts together."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from admin import bp as admin_bp
from api import bp as api_bp
from satisfaction import cli
from satisfaction.accounts.auth import load_user
from satisfaction.config import PROJECT_ROOT, load_config
from satisfaction.db.engine import configure_sqlite
from satisfaction.extensions import babel, compress, csrf, db, login_manager, migrate
from satisfaction.intake import writelock
from satisfaction.intake.rate_counters import init_rate_counters
from satisfaction.web import errors, hooks, pages
from survey import bp as survey_bp


def create_app(config: dict | None = None) -> Flask:
    """Build the application. ``config`` overrides the environment (tests, tools)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path, config))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "translations"))
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    init_extensions(app)
    init_request_hooks(app)
    register_blueprints(app)
    errors.register(app)
    cli.register(app)
    return app


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    configure_sqlite(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    # Before CSRFProtect, whose check parses the form: the raw body must be read first.
    app.before_request(hooks.check_request_body)
    app.before_request(hooks.refuse_control_characters)
    csrf.init_app(app)
    init_rate_counters(app)
    babel.init_app(app, locale_selector=hooks.select_locale)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.session_protection = app.config["SESSION_PROTECTION"]
    app.jinja_env.add_extension("jinja2.ext.do")
    compress.init_app(app)
    app.url_defaults(hooks.versioned_static)


def init_request_hooks(app: Flask) -> None:
    app.after_request(hooks.commit_session)
    app.after_request(hooks.security_headers)
    app.after_request(hooks.cache_static)
    # After the commit: the SQLite writers' queue is released last (intake/writelock.py).
    app.teardown_request(writelock.release)
    app.context_processor(hooks.template_helpers)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(pages.bp)
    app.register_blueprint(survey_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
