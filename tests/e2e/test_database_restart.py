"""A PostgreSQL restart costs no request a 5xx once the database is back (issue 19).

A PostgreSQL of the test's own (Debian's initdb in a temporary folder, on a port of its own:
never the machine's shared server) under one gunicorn server with deploy/gunicorn.conf.py;
every worker holds pooled connections; the database restarts; then every request answers.
With DB_POOL_PRE_PING=0 (the setting before this issue) the first request on each stale
connection fails, which shows that the test can fail."""

from __future__ import annotations

import os
import pwd
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PG_BIN = Path("/usr/lib/postgresql/15/bin")

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                       reason="runs in the suite's PostgreSQL pass"),
    pytest.mark.skipif(not (PG_BIN / "initdb").exists(), reason="no PostgreSQL binaries"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*args: str) -> subprocess.CompletedProcess:
    """PostgreSQL's tools refuse to run as root: run them as the postgres user then."""
    command = list(args)
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pg")
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (folder, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        os.chmod(folder.parent, 0o755)
        os.chmod(folder.parent.parent, 0o755)
    port = free_port()
    done = as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
                       "--auth=trust", "--encoding=UTF8", "--no-sync")
    assert done.returncode == 0, done.stderr
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"

    def pg_ctl(*args: str) -> None:
        result = as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l",
                             str(folder / "log"), "-o", options, "-w", "-t", "120", *args)
        assert result.returncode == 0, (result.stderr + result.stdout
                                        + (folder / "log").read_text()[-2000:])

    pg_ctl("start")
    try:
        created = as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                              "-U", "postgres", "restart_test")
        assert created.returncode == 0, created.stderr
        yield {"url": f"postgresql://postgres@127.0.0.1:{port}/restart_test",
               "restart": lambda: pg_ctl("restart", "-m", "fast")}
    finally:
        pg_ctl("stop", "-m", "immediate")


def serve(url: str, pre_ping: str, tmp: Path):
    port = free_port()
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": "restart-" + "k" * 40,
           "DATABASE_URL": url, "FLASK_APP": "wsgi", "GUNICORN_WORKERS": "2",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "DB_POOL_PRE_PING": pre_ping,
           "REDIS_URL": ""}
    log = (tmp / f"gunicorn-{pre_ping}.log").open("w")
    proc = subprocess.Popen([str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py",
                             "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=log, start_new_session=True)
    return proc, log, f"http://127.0.0.1:{port}", env


#: What a request that got no answer at all counts as (a timeout, a closed connection).
NO_ANSWER = 599


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return NO_ANSWER


def statuses_after_restart(own_postgres, pre_ping: str, tmp: Path) -> list[int]:
    proc, log, base, env = serve(own_postgres["url"], pre_ping, tmp)
    try:
        for _ in range(300):
            if status_or_none(base + "/healthz") == 200:
                break
            time.sleep(0.1)
        # Pages that read the database: /healthz, the survey, its short code.
        survey = own_postgres["survey"]
        pages = [base + "/healthz", base + survey]
        for _ in range(10):  # every worker holds connections in its pool
            assert [status(p) for p in pages] == [200, 200]
        own_postgres["restart"]()
        return [status(p) for _ in range(10) for p in pages]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


def status_or_none(url: str) -> int | None:
    code = status(url)
    return None if code == NO_ANSWER else code


@pytest.fixture(scope="module")
def restartable(own_postgres):
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": "restart-" + "k" * 40,
           "DATABASE_URL": own_postgres["url"], "FLASK_APP": "wsgi", "REDIS_URL": ""}
    for args in (["db", "upgrade"], ["seed", "demo"]):
        done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    survey = re.search(r"Survey:\s+\S+?(/s/\S+)", done.stdout).group(1)
    return {**own_postgres, "survey": survey}


def test_a_database_restart_costs_no_request_a_5xx(restartable, tmp_path):
    after = statuses_after_restart(restartable, "1", tmp_path)
    assert all(code < 500 for code in after), after


def test_without_pre_ping_the_restart_shows(restartable, tmp_path):
    """The control: the setting of today's main fails a request per stale connection."""
    after = statuses_after_restart(restartable, "0", tmp_path)
    assert any(code >= 500 for code in after), after
