"""The app as `make run` serves it: `flask db upgrade`, `flask seed demo` and gunicorn with
2 workers, started once per test module (about 4 s); each test starts from the freshly
seeded demo, put back from a copy of its rows."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from snapshot import Snapshot, empty_tables

from satisfaction.extensions import db

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_healthy(base: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("gunicorn did not start: " + log.read_text())
            time.sleep(0.2)


@pytest.fixture(scope="module")
def served(app, database_url, tmp_path_factory):
    """One gunicorn for the module, on the demo seeded by the real CLI."""
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
    with app.app_context(), db.engine.begin() as conn:
        empty_tables(conn)  # the CLI's first seeding prints the administrator's password
    upgrade = run("db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    first = run("seed", "demo")
    assert first.returncode == 0, first.stderr
    with app.app_context(), db.engine.connect() as conn:
        seeded = Snapshot.take(conn)
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_until_healthy(base, proc, log_path)
    yield {"base": base, "port": port, "seed_output": first.stdout, "run": run,
           "seeded": seeded}
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def server(served, app, clean_db):
    """The module's server, its database as the seeding left it."""
    with app.app_context(), db.engine.begin() as conn:
        empty_tables(conn)
        served["seeded"].restore(conn)
    return served
