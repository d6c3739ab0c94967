"""Production on real parts (issue 19): nginx (Debian's package, with deploy/nginx's files)
in front of two gunicorn servers (deploy/gunicorn.conf.py) on one PostgreSQL and Redis. A
form served by one server is posted through the other; a rate limit reached through one
holds on the other; 50 slow clients do not hold up /healthz; nginx logs no client address.
Loopback only. Runs in the PostgreSQL pass of the suite (TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from satisfaction.db.responses import Response
from satisfaction.extensions import db

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_URL = "redis://127.0.0.1:6379/14"

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                       reason="the city's set-up: PostgreSQL (the suite's PostgreSQL pass)"),
]
if not os.path.exists(NGINX):
    if os.environ.get("CI"):
        raise RuntimeError("CI must install nginx (apt-get install nginx): see .ci/run")
    pytest.skip("nginx is not installed (apt-get install nginx)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, deadline: float = 30) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


def nginx_config(tmp: Path, port: int, upstreams: tuple[int, int]) -> Path:
    """deploy/nginx's http.conf and app.conf as they are, with this test's ports, folders
    and the checkout's static files."""
    http = (ROOT / "deploy/nginx/http.conf").read_text()
    http = http.replace("127.0.0.1:8000", f"127.0.0.1:{upstreams[0]}").replace(
        "127.0.0.1:8001", f"127.0.0.1:{upstreams[1]}")
    app = (ROOT / "deploy/nginx/app.conf").read_text()
    app = app.replace("/var/log/nginx/", f"{tmp}/").replace(
        "/srv/satisfaction/app/", f"{ROOT}/")
    user = "user root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(f"""{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    access_log off;
    {http}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        {app}
    }}
}}
""")
    return conf


@pytest.fixture(scope="module")
def city(app, database_url, tmp_path_factory):
    from snapshot import empty_tables

    tmp = tmp_path_factory.mktemp("proxy")
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": "proxy-" + "k" * 44,
           "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "FLASK_APP": "wsgi",
           "PROXY_COUNT": "1", "SURVEY_MIN_SECONDS": "0", "GUNICORN_WORKERS": "2",
           "SURVEY_HARD_LIMIT": "6 per minute", "SURVEY_CLIENT_LIMIT": "1000 per minute",
           "SURVEY_CODE_LIMIT": "1000 per minute"}
    with app.app_context(), db.engine.begin() as conn:
        empty_tables(conn)
    for args in (["db", "upgrade"], ["seed", "demo"]):
        done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        seeded = done.stdout
    ports = (free_port(), free_port())
    logs = [(tmp / f"gunicorn-{p}.log").open("w") for p in ports]
    servers = [subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{p}"}, stdout=subprocess.DEVNULL,
        stderr=log, start_new_session=True) for p, log in zip(ports, logs, strict=True)]
    front = free_port()
    conf = nginx_config(tmp, front, ports)
    proxy = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        for p in ports:
            wait_healthy(f"http://127.0.0.1:{p}/healthz")
        wait_healthy(f"http://127.0.0.1:{front}/healthz")
        survey = urllib.parse.urlsplit(re.search(r"Survey:\s+(\S+)", seeded).group(1)).path
        yield {"front": front, "servers": ports, "survey": survey, "tmp": tmp,
               "database_url": database_url}
    finally:
        for proc in (proxy, *servers):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (proxy, *servers):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for log in logs:
            log.close()
        with app.app_context(), db.engine.begin() as conn:
            empty_tables(conn)


def opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def filled(html: str) -> dict[str, str]:
    fields = {name: value for name, value in
              re.findall(r'name="(csrf_token|submission|step)" value="([^"]*)"', html)}
    items = set(re.findall(r'name="([A-E]\d)" value="', html))
    return {**fields, **dict.fromkeys(items, "4"), "respondent_kind": "citizen",
            "procedure_field": "ho-tich", "go": "send"}


def post(browser, url: str, data: dict) -> int:
    try:
        with browser.open(url, urllib.parse.urlencode(data).encode(), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def stored(app) -> int:
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
        db.session.remove()
        return count


def test_a_form_from_one_server_is_sent_through_the_other(city, app):
    first, second = city["servers"]
    browser = opener()
    html = browser.open(f"http://127.0.0.1:{first}{city['survey']}").read().decode()
    before = stored(app)
    # Redirects are followed: the thanks page comes from the second server too.
    assert post(browser, f"http://127.0.0.1:{second}{city['survey']}", filled(html)) == 200
    assert stored(app) == before + 1
    # And through nginx, which picks either.
    html = browser.open(f"http://127.0.0.1:{city['front']}{city['survey']}").read().decode()
    assert post(browser, f"http://127.0.0.1:{city['front']}{city['survey']}",
                filled(html)) == 200
    assert stored(app) == before + 2


def test_a_rate_limit_reached_through_one_server_holds_on_the_other(city):
    first, second = city["servers"]
    browser = opener()
    html = browser.open(f"http://127.0.0.1:{first}{city['survey']}").read().decode()
    data = {**filled(html), "respondent_kind": ""}  # refused as incomplete: nothing stored
    statuses = [post(browser, f"http://127.0.0.1:{first}{city['survey']}", data)
                for _ in range(8)]
    assert 429 in statuses, statuses  # SURVEY_HARD_LIMIT: 6 a minute per client
    assert post(browser, f"http://127.0.0.1:{second}{city['survey']}", data) == 429


def test_fifty_slow_clients_do_not_hold_up_the_servers(city):
    slow = []
    try:
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", city["front"]), timeout=5)
            s.sendall(f"POST {city['survey']} HTTP/1.1\r\nHost: localhost\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Content-Length: 100\r\n\r\nabc".encode())
            slow.append(s)
        time.sleep(0.5)
        started = time.monotonic()
        with urllib.request.urlopen(f"http://127.0.0.1:{city['front']}/healthz",
                                    timeout=5) as r:
            assert r.status == 200
        assert time.monotonic() - started < 1.0
    finally:
        for s in slow:
            s.close()


def test_nginx_logs_no_client_address(city):
    with urllib.request.urlopen(f"http://127.0.0.1:{city['front']}/healthz", timeout=5):
        pass
    time.sleep(0.2)
    log = (city["tmp"] / "satisfaction.access.log").read_text()
    assert "GET /healthz" in log and "127.0.0.1" not in log


def test_two_checks_at_once_send_each_email_once(city, app, smtp):
    """`flask alerts check` from the timers of two servers at the same moment: every alert
    opened once, every e-mail sent once."""
    from datetime import date, timedelta

    from factories import ITEMS, gen_paper_forms

    today = date(2025, 3, 31)  # the seeded city demo: District 1 and its wards until 06/2025
    rows = []
    for unit, bad in (("Q1-BN", 3), ("Q1-TD", 4)):  # 70 % and 60 % for 30 days, 10 a day
        for k in range(1, 31):
            day = (today - timedelta(days=k)).isoformat()
            rows += [(unit, day, {}) for _ in range(10 - bad)]
            rows += [(unit, day, dict.fromkeys(ITEMS, "2")) for _ in range(bad)]
    gen_paper_forms(app, rows)
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": "proxy-" + "k" * 44,
           "DATABASE_URL": city["database_url"], "REDIS_URL": REDIS_URL, "FLASK_APP": "wsgi",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port)}
    command = [str(BIN / "flask"), "alerts", "check", "--as-of", today.isoformat()]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    # One run may find the other's alerts already open (or be refused for it): never an error
    # that loses anything.
    assert all(run.returncode in (0, 1) for run in runs), outputs
    with app.app_context():
        from satisfaction.db.alerts import Alert, Notification

        codes = [a.unit.code for a in db.session.scalars(sa.select(Alert))]
        notified = db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                     .where(Notification.channel == "email"))
        db.session.remove()
    assert {"Q1-BN", "Q1-TD"} <= set(codes) and len(codes) == len(set(codes)), outputs
    letters = [(tuple(recipients), message["Subject"]) for recipients, message in smtp.messages]
    assert len(letters) == len(set(letters)) == notified > 0, (letters, outputs)
