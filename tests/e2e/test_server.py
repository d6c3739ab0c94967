"""End to end under gunicorn, as `make run` serves it: seed, open the printed URL, answer."""

from __future__ import annotations

import http.client
import http.cookiejar
import re
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from helpers import filled_survey

from satisfaction.db.responses import Answer, Response
from satisfaction.extensions import db

pytestmark = pytest.mark.server


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def request(open_, url, data=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with open_.open(url, data=body, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def test_printed_survey_url_answered_and_stored_against_the_ward(server, app):
    out = server["seed_output"]
    admin_url = re.search(r"Admin:\s+(\S+)", out).group(1)
    assert admin_url == server["base"] + "/admin/"
    assert re.search(r"password (\S+)", out)
    survey_url = re.search(r"Survey:\s+(\S+)\s+\((\S+)\)", out)
    url, ward_code = survey_url.group(1), survey_url.group(2)
    assert url.startswith(server["base"] + "/s/")

    browser = opener()
    status, _, html = request(browser, url)
    assert status == 200 and "Phường" in html
    status, headers, _ = request(browser, url, filled_survey(html, "5"))
    assert status == 303
    status, _, thanks = request(browser, server["base"] + headers["Location"])
    assert status == 200 and "Cảm ơn" in thanks

    with app.app_context():
        response = db.session.scalar(sa.select(Response))
        assert response.unit.code == ward_code
        assert response.counter.unit.code == ward_code
        assert len(response.answers) == 22

    # A second run reuses what is there: same code, no new password.
    again = server["run"]("seed", "demo")
    assert again.returncode == 0
    assert "password printed on the first run" in again.stdout.replace(":", "")
    assert url in again.stdout


def test_a_retried_form_racing_on_two_workers_is_stored_once(server, app):
    url = re.search(r"Survey:\s+(\S+)", server["seed_output"]).group(1)
    browser = opener()
    _, _, html = request(browser, url)
    data = filled_survey(html, "3")
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: request(browser, url, data)[0], range(8)))
    assert statuses == [303] * 8
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 22


def test_chunked_oversized_body_is_413_and_non_utf8_is_400(server, app):
    url = re.search(r"Survey:\s+(\S+)", server["seed_output"]).group(1)
    path = urllib.parse.urlsplit(url).path
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=30)
    conn.putrequest("POST", path)
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    try:
        for _ in range(100):
            chunk = b"comment=" + b"x" * 2000 + b"&"
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may stop reading once it has decided
    assert conn.getresponse().status == 413
    conn.close()

    browser = opener()
    _, _, html = request(browser, url)
    body = urllib.parse.urlencode(filled_survey(html)).encode() + b"&comment=%FF%FE"
    req = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        browser.open(req, timeout=30)
        status = 200
    except urllib.error.HTTPError as e:
        status = e.code
    assert status == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
