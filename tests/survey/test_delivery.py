"""The survey on a slow network and for every client (issue 17): compressed pages, static
files cached under their digest, a favicon, HEAD and OPTIONS answered, larger text
remembered, and the form's steps kept entirely in the form."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest
from helpers import filled_survey, read_form

from satisfaction.db.responses import Response
from satisfaction.extensions import db

BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


def css_path(html: str) -> str:
    return re.search(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', html).group(1)


def transferred(response) -> int:
    size = len(response.get_data())  # the body as sent (compressed when encoded)
    response.close()
    return size


def decoded(response) -> bytes:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    return body


def test_the_survey_is_small_on_the_wire(client, ward_token):
    first = client.get(f"/s/{ward_token}", headers=BROWSER)
    assert first.headers["Content-Encoding"] == "br"
    html = decoded(first).decode()
    assert "Phiếu khảo sát" in html
    css = client.get(css_path(html), headers=BROWSER)
    assert css.status_code == 200 and css.headers.get("Content-Encoding") == "br"
    assert "max-age=31536000" in css.headers["Cache-Control"]
    assert "immutable" in css.headers["Cache-Control"]
    scripts = [client.get(path, headers=BROWSER) for path in
               re.findall(r'src="(/static/[^"]+)"', html)]
    first_visit = transferred(first) + transferred(css) + sum(map(transferred, scripts))
    # A repeat visit fetches the page only: the stylesheet and script are cached a year.
    repeat = transferred(client.get(f"/s/{ward_token}", headers=BROWSER))
    assert first_visit <= 25 * 1024 and repeat <= 15 * 1024, (first_visit, repeat)
    assert len(html.encode()) > 3 * transferred(first)


def test_static_files_are_named_by_their_content(client, ward_token):
    html = client.get(f"/s/{ward_token}").get_data(as_text=True)
    current = client.get(css_path(html))
    assert "max-age=31536000" in current.headers["Cache-Control"]
    current.close()
    stale = client.get("/static/app.css?v=000000000000")
    assert stale.status_code == 200 and "max-age=31536000" not in stale.headers.get(
        "Cache-Control", "")
    stale.close()


def test_favicon_head_and_options(client, ward_token, demo):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype in ("image/vnd.microsoft.icon",
                                                          "image/x-icon")
    icon.close()
    head = client.head(f"/s/{ward_token}")
    assert head.status_code == 200 and head.get_data() == b""
    for path in (f"/s/{ward_token}", f"/k/{ward_token}", "/", "/healthz", "/ping",
                 "/favicon.ico", "/lang/vi", f"/s/{ward_token}/thanks", "/m/ABCD-EFGH"):
        options = client.options(path)
        assert options.status_code == 200 and "GET" in options.headers["Allow"], path
        head = client.head(path)
        assert head.status_code < 500, path
        head.close()


def test_larger_text_is_remembered_in_a_cookie(client, ward_token):
    response = client.get(f"/text/large?next=/s/{ward_token}")
    assert response.status_code == 303 and response.location == f"/s/{ward_token}"
    assert 'class="large-text"' in client.get(f"/s/{ward_token}").get_data(as_text=True)
    assert client.get("/text/large?next=https://evil.example").location == "/"
    client.get("/text/normal")
    assert 'class="large-text"' not in client.get(f"/s/{ward_token}").get_data(as_text=True)


def test_steps_travel_in_the_form_and_store_once(client, survey, app):
    path, html = survey
    data = filled_survey(html)
    # Step 1 without who answers: the step comes back with its error, nothing stored.
    partial = {**data, "respondent_kind": "", "go": "next", "step": "1"}
    again = client.post(path, data=partial)
    assert again.status_code == 422
    page = again.get_data(as_text=True)
    assert 'id="step-1"' in page and 'id="step-1" hidden' not in page
    assert "Ông/Bà trả lời với tư cách" in page.split('id="error-summary"')[1][:600]
    # Next: step 2 shown, every answer so far still in the form.
    nxt = client.post(path, data={**data, "go": "next", "step": "1"})
    page = nxt.get_data(as_text=True)
    assert nxt.status_code == 200 and 'id="step-2">' in page and 'id="step-1" hidden' in page
    kept = read_form(page)
    assert kept.checked["A1"] == data["A1"] and kept.selected["procedure_field"] == "ho-tich"
    back = client.post(path, data={**data, "go": "back", "step": "2"})
    assert 'id="step-1">' in back.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Response).count() == 0
    sent = client.post(path, data={**data, "go": "send", "step": "6"})
    assert sent.status_code == 303
    with app.app_context():
        assert db.session.query(Response).count() == 1


@pytest.mark.parametrize("step", ["0", "99", "x", ""])
def test_a_step_out_of_range_is_harmless(client, survey, step):
    path, html = survey
    response = client.post(path, data={**filled_survey(html), "go": "next", "step": step})
    assert response.status_code == 200
