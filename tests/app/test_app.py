"""The application shell: configuration, health, migrations, translations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import flask_migrate
import pytest
from babel.messages.pofile import read_po

from satisfaction.app import create_app
from satisfaction.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("key", [None, "", "dev", "short-key", "changeme"])
def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path, key):
    from satisfaction.config import load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    overrides = {"APP_ENV": "production"}
    if key is not None:
        overrides["SECRET_KEY"] = key
        with pytest.raises(ConfigError, match="SECRET_KEY"):
            create_app(overrides)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path), overrides)  # an instance folder without a key file


def test_the_key_written_by_make_run_is_used_by_the_cli(monkeypatch, tmp_path):
    from satisfaction.config import load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("k" * 48 + "\n", encoding="utf-8")
    assert load_config(str(tmp_path), {"APP_ENV": "production"})["SECRET_KEY"] == "k" * 48


def test_production_starts_with_a_real_key_and_development_without(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path}/x.db"
    app = create_app({"APP_ENV": "production", "SECRET_KEY": "k" * 40,
                      "SQLALCHEMY_DATABASE_URI": url})
    assert not app.debug
    assert create_app({"APP_ENV": "development", "SQLALCHEMY_DATABASE_URI": url}).secret_key


def test_environment_configures_database_and_base_url(monkeypatch):
    from satisfaction.config import load_config

    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example:5432/sat")
    monkeypatch.setenv("BASE_URL", "https://khaosat.example.vn/")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    config = load_config("/tmp/instance")
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example:5432/sat"
    assert config["BASE_URL"] == "https://khaosat.example.vn"
    with pytest.raises(ConfigError):
        load_config("/tmp/instance", {"APP_ENV": "staging"})


def test_healthz_is_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2",
     "sqlite:////nonexistent-directory/for/sure/x.db"],
)
def test_healthz_is_503_when_the_database_is_unreachable(url):
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    # Any page that needs the database says so instead of failing with a 500.
    page = app.test_client().get("/s/some-token")
    assert page.status_code == 503
    assert "Dịch vụ tạm thời gián đoạn" in page.get_data(as_text=True)


def test_migrations_match_the_models_and_have_one_head(app):
    from alembic.script import ScriptDirectory

    with app.app_context():
        flask_migrate.check()  # raises when the models drift from the migrations
        config = flask_migrate.Migrate().get_config(str(ROOT / "migrations"))
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_every_message_has_its_vietnamese_translation_and_the_catalog_is_current(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    with (ROOT / "translations/vi/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f, locale="vi")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(m) for m in extracted - translated)
    assert not missing, f"messages without a Vietnamese translation: {missing}"
    assert len(extracted) > 40
    # Every template is read (a template the extractor cannot parse is skipped silently).
    for message in ("Send my answers", "Trend by month", "Record the remedy",
                    "Thank you for your answers", "Staff sign-in"):
        assert message in extracted, message


def test_make_run_access_log_leaves_client_addresses_out():
    """README: client addresses are never stored. The access log of `make run` is rendered
    by gunicorn's own logger with the Makefile's format: no address in it (finding 11)."""
    import re as regex
    from datetime import timedelta as delta
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    fmt = regex.search(r"^ACCESS_LOG_FORMAT := '(.*)'$", makefile, regex.M).group(1)
    assert "--access-logformat $(ACCESS_LOG_FORMAT)" in makefile
    config = Config()
    config.set("access_log_format", fmt)
    logger = Logger(config)
    request = SimpleNamespace(method="GET", uri="/s/abc", path="/s/abc", query="",
                              version=(1, 1), headers=[("X-FORWARDED-FOR", "203.0.113.9")])
    response = SimpleNamespace(status="200 OK", sent=10, response_length=10, headers=[])
    environ = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "203.0.113.9",
               "REQUEST_METHOD": "GET", "RAW_URI": "/s/abc", "SERVER_PROTOCOL": "HTTP/1.1"}
    line = fmt % logger.atoms(response, request, environ, delta(milliseconds=12))
    assert "198.51.100.7" not in line and "203.0.113.9" not in line
    assert "GET /s/abc" in line and "200" in line


def test_every_response_carries_the_security_headers(client, demo, app):
    """Audit finding 7: no page can be framed, no inline script or style runs, no sniffing;
    HSTS once the cookies are HTTPS-only."""
    for path in ("/admin/login", "/s/nope", "/ping", "/static/app.css"):
        response = client.get(path)
        response.close()
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
        assert "Strict-Transport-Security" not in response.headers
    page = client.get("/admin/login")
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        assert client.get("/ping").headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def test_no_template_holds_an_inline_script_or_style():
    """The policy forbids them: a page that relied on one would break silently."""
    import re as regex

    pattern = regex.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|style=\"",
                            regex.I)
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.glob("*/templates/**/*.html")
                 if pattern.search(p.read_text(encoding="utf-8"))]
    offenders += [str(p.relative_to(ROOT)) for p in ROOT.glob("satisfaction/templates/**/*.html")
                  if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
