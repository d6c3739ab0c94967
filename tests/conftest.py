"""Fixtures: the app on SQLite (default) or PostgreSQL (``TEST_DATABASE_URL``).

The schema is built by the real migrations once per run; each test that touches the
database starts from empty tables, and requests commit for real, as in production.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa

from satisfaction.app import create_app
from satisfaction.catalogue.lookup import forget_procedure_fields
from satisfaction.config import normalise_database_url
from satisfaction.demo.district import seed_district1
from satisfaction.extensions import db
from satisfaction.qrcodes.resolve import forget_resolved_codes

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


#: Most tests post forms instantly and repeatedly from one client, which the integrity
#: checks would rightly quarantine; tests/test_integrity.py puts the real limits back.
RELAXED_INTEGRITY = {
    "SURVEY_MIN_SECONDS": 0,
    "SURVEY_STRAIGHT_LINE_SECONDS": 0,
    "SURVEY_CLIENT_LIMIT": "",
    "SURVEY_CODE_LIMIT": "",
    "SURVEY_BURST_CLIENT": 0,
    "SURVEY_BURST_NETWORK": 0,
    "SURVEY_DEVICE_REPEAT_HOURS": 0,
}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def _drop_everything(url: str) -> None:
    engine = sa.create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)
    engine.dispose()


@pytest.fixture(scope="session")
def app(database_url):
    _drop_everything(database_url)
    app = create_app({
        "APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, **RELAXED_INTEGRITY,
        # Tests change codes in the database and look at once; the cache has its own tests.
        "SURVEY_CODE_CACHE_SECONDS": 0,
    })
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def clean_db(app):
    """Empty tables after the test, whatever it did."""
    yield
    forget_procedure_fields()
    forget_resolved_codes()
    with app.app_context():
        app.extensions["rate_counters"].storage.reset()
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app, clean_db):
    return app.test_client()


@pytest.fixture
def runner(app, clean_db):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app, clean_db):
    with app.app_context():
        yield app


@pytest.fixture
def demo(app, clean_db):
    """The District 1 demo, committed."""
    with app.app_context():
        summary = seed_district1()
        db.session.commit()
    return summary


@pytest.fixture
def ward_token(demo) -> str:
    return demo.survey_tokens["Q1-BN"]


@pytest.fixture
def survey(client, ward_token):
    """Opens the ward's survey and returns (path, html)."""
    path = f"/s/{ward_token}"
    response = client.get(path)
    assert response.status_code == 200
    return path, response.get_data(as_text=True)




def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(app, clean_db, database_url, tmp_path):
    """`flask db upgrade`, `flask seed demo` and gunicorn with 2 workers, as `make run` does."""
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "e2e-" + "k" * 44,
        "DATABASE_URL": database_url,
        "BASE_URL": f"http://127.0.0.1:{port}",
        "FLASK_APP": "wsgi",
        "KIOSK_IDLE_SECONDS": "2",
    }
    run = lambda *args: subprocess.run(  # noqa: E731
        [str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )
    upgrade = run("db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    first = run("seed", "demo")
    assert first.returncode == 0, first.stderr
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.2)
    yield {"base": base, "port": port, "seed_output": first.stdout, "run": run}
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


