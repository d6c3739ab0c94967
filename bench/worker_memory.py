"""Memory of gunicorn workers (issue 19): what each additional worker costs.

Starts gunicorn on a copy of the demo database (SQLite, seeded by the CLI), once the way
`make run` does (the app imported by each worker) and once with deploy/gunicorn.conf.py
(the app loaded in the master and forked, gc.freeze()); sends each worker survey GETs and
POSTs and a year's report; then reads each worker's memory from /proc/PID/smaps_rollup:

- USS (Private_Clean + Private_Dirty): the memory unique to that worker, what one more
  worker adds;
- RSS, for comparison with what `ps` shows.

Usage: .venv/bin/python bench/worker_memory.py [--workers 4]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory(pid: int) -> tuple[float, float]:
    """(USS, RSS) in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    uss = fields["Private_Clean"] + fields["Private_Dirty"]
    return uss / 1024, fields["Rss"] / 1024


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()]


def exercise(base: str, survey_path: str, admin: tuple[str, str], rounds: int) -> None:
    """Surveys (GET and POST) and a signed-in year's report, many times, so that every
    worker serves some of each."""
    for _ in range(rounds):
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        html = opener.open(base + survey_path).read().decode()
        fields = dict(re.findall(r'name="(csrf_token|submission)" value="([^"]+)"', html))
        radios = set(re.findall(r'name="([A-E]\d)" value="', html))
        data = {**fields, **{code: "4" for code in radios}, "respondent_kind": "citizen",
                "procedure_field": "ho-tich", "go": "send", "step": "6"}
        try:
            opener.open(base + survey_path, urllib.parse.urlencode(data).encode())
        except urllib.error.HTTPError:
            pass  # rate limits and integrity checks are fine here
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/admin/login").read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    opener.open(base + "/admin/login", urllib.parse.urlencode(
        {"csrf_token": csrf, "email": admin[0], "password": admin[1]}).encode())
    for _ in range(rounds):
        opener.open(base + "/admin/reports/sipas/HCM?period=2026").read()


def run(config: list[str], env: dict, workers: int, survey: str, admin) -> list[tuple]:
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), *config, "--workers", str(workers), "--bind",
         f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env={**env, "GUNICORN_BIND":
         f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        exercise(base, survey, admin, rounds=10 * workers)
        time.sleep(1)
        return [memory(pid) for pid in children(proc.pid)]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": "bench-" + "k" * 40,
               "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "FLASK_APP": "wsgi",
               "BASE_URL": "http://127.0.0.1", "SURVEY_MIN_SECONDS": "0",
               "SURVEY_HARD_LIMIT": "100000 per minute",
               "SURVEY_CLIENT_LIMIT": "100000 per minute",
               "SURVEY_CODE_LIMIT": "100000 per minute"}
        flask = lambda *a: subprocess.run([str(BIN / "flask"), *a], cwd=ROOT, env=env,  # noqa: E731
                                          capture_output=True, text=True, check=True)
        flask("db", "upgrade")
        seeded = flask("seed", "demo").stdout
        flask("seed", "responses", "--count", "3000", "--from", "2026-01-01")
        survey = urllib.parse.urlsplit(re.search(r"Survey:\s+(\S+)", seeded).group(1)).path
        admin = (re.search(r"e-mail (\S+)", seeded).group(1),
                 re.search(r"password (\S+)", seeded).group(1))
        new = "một mật khẩu mới đủ dài"
        code = ("from satisfaction.app import create_app\n"
                "from satisfaction.accounts.users import find_user\n"
                "from satisfaction.accounts.auth import set_password\n"
                "from satisfaction.extensions import db\n"
                "app = create_app()\n"
                "with app.app_context():\n"
                f"    set_password(find_user({admin[0]!r}), {new!r}); db.session.commit()\n")
        subprocess.run([str(BIN / "python"), "-c", code], cwd=ROOT, env=env, check=True)
        admin = (admin[0], new)
        for name, config in (("make run (each worker imports the app)", []),
                             ("deploy/gunicorn.conf.py (preload, gc.freeze)",
                              ["--config", "deploy/gunicorn.conf.py"])):
            figures = run(config, env, args.workers, survey, admin)
            uss = [u for u, _ in figures]
            rss = [r for _, r in figures]
            print(f"{name}: {len(figures)} workers; USS per worker "
                  f"{min(uss):.0f}–{max(uss):.0f} MB (mean {sum(uss) / len(uss):.0f}); "
                  f"RSS {min(rss):.0f}–{max(rss):.0f} MB")
    sys.exit(0)


if __name__ == "__main__":
    main()
