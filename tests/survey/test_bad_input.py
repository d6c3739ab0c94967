"""Bad input on the public path: a clear status and message, nothing stored, never a 500."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from helpers import count, filled_survey, read_form

from satisfaction.clock import utcnow
from satisfaction.db.codes import QrToken
from satisfaction.db.responses import Answer, Response
from satisfaction.extensions import db


def assert_nothing_stored(app):
    with app.app_context():
        assert count(Response) == 0
        assert count(Answer) == 0


@pytest.mark.parametrize("token", ["nope", "x" * 65, "SprJTtc9cKBkWN1te_7wvQ", "%C3%A9"])
def test_unknown_code_is_a_vietnamese_404(client, demo, token):
    for method in (client.get, client.post):
        response = method(f"/s/{token}")
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert "Mã QR không hợp lệ" in page
        assert "không còn được sử dụng" in page


def test_revoked_code_shows_404_and_accepts_nothing(client, survey, app):
    path, html = survey
    with app.app_context():
        token = db.session.scalar(sa.select(QrToken).where(QrToken.token == path[3:]))
        token.revoked_at = utcnow()
        db.session.commit()
    assert client.get(path).status_code == 404
    response = client.post(path, data=filled_survey(html))
    assert response.status_code == 404
    assert "Mã QR không hợp lệ" in response.get_data(as_text=True)
    assert_nothing_stored(app)


def _revoke(app, path, **changes):
    with app.app_context():
        db.session.execute(sa.update(QrToken).where(QrToken.token == path[3:]).values(**changes))
        db.session.commit()


def test_a_code_revoked_elsewhere_stops_working_once_the_cache_time_is_over(
        client, survey, app, monkeypatch):
    """Each app server remembers a working code for SURVEY_CODE_CACHE_SECONDS: a code
    revoked from another server (here: straight in the database) keeps working here only
    until then."""
    from satisfaction.qrcodes import resolve

    path, html = survey
    monkeypatch.setitem(app.config, "SURVEY_CODE_CACHE_SECONDS", 60)
    clock = [1000.0]
    monkeypatch.setattr(resolve.time, "monotonic", lambda: clock[0])
    assert client.get(path).status_code == 200  # resolved and remembered
    _revoke(app, path, revoked_at=utcnow())
    clock[0] += 59
    assert client.get(path).status_code == 200  # still remembered
    clock[0] += 2
    assert client.get(path).status_code == 404
    assert client.post(path, data=filled_survey(html)).status_code == 404
    assert_nothing_stored(app)


def test_a_remembered_code_past_its_grace_period_is_dead_at_once(
        client, survey, app, monkeypatch):
    from datetime import timedelta

    from satisfaction.qrcodes import resolve

    path, html = survey
    monkeypatch.setitem(app.config, "SURVEY_CODE_CACHE_SECONDS", 3600)
    start = utcnow()
    _revoke(app, path, expires_at=start + timedelta(minutes=10))  # rotated: grace period
    assert client.get(path).status_code == 200  # remembered with its grace period's end
    monkeypatch.setattr(resolve, "utcnow", lambda: start + timedelta(minutes=11))
    # Past the grace period, long before the cache time: no successor, so not valid.
    assert client.post(path, data=filled_survey(html)).status_code == 404
    assert_nothing_stored(app)


def test_unknown_codes_are_not_remembered(client, demo, app, monkeypatch):
    from satisfaction.qrcodes import resolve

    monkeypatch.setitem(app.config, "SURVEY_CODE_CACHE_SECONDS", 60)
    for i in range(50):
        assert client.get(f"/s/unknown-{i}").status_code == 404
    assert not resolve._targets


def test_code_of_a_unit_that_has_ended_is_not_valid(client, survey, app):
    path, html = survey
    from datetime import date

    from satisfaction.db.units import Unit

    with app.app_context():
        ward = db.session.scalar(sa.select(Unit).where(Unit.code == "Q1-BN"))
        ward.valid_to = date(2025, 6, 30)
        db.session.commit()
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "override",
    [
        {"A1": "6"},
        {"A1": "-1"},
        {"A1": "4.5"},
        {"A1": "abc"},
        {"A1": "９"},  # a full-width digit: int() would accept it, the scale does not
        {"respondent_kind": "robot"},
        {"procedure_field": "no-such-field"},
    ],
)
def test_forged_values_are_400_and_nothing_stored(client, survey, app, override):
    path, html = survey
    response = client.post(path, data=filled_survey(html, **override))
    assert response.status_code == 400
    assert "Không có dữ liệu nào được lưu" in response.get_data(as_text=True)
    assert_nothing_stored(app)


def test_two_values_for_one_item_are_forged(client, survey, app):
    path, html = survey
    from werkzeug.datastructures import MultiDict

    data = MultiDict(list(filled_survey(html).items()) + [("A1", "1")])
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert_nothing_stored(app)


def test_tampered_or_foreign_submission_id_is_400(client, survey, app, demo):
    path, html = survey
    data = filled_survey(html)
    for bad in ("", "x", data["submission"][:-2] + "AA", "a" * 300):
        response = client.post(path, data={**data, "submission": bad})
        assert response.status_code == 400, bad
    # A genuine form of another ward's code cannot be replayed on this one.
    other = f"/s/{demo.survey_tokens['Q1-TD']}"
    other_form = read_form(client.get(other).get_data(as_text=True))
    response = client.post(path, data={**data, "submission": other_form.hidden["submission"]})
    assert response.status_code == 400
    assert_nothing_stored(app)


def test_missing_or_wrong_csrf_token_is_400_with_a_clear_message(client, survey, app):
    path, html = survey
    data = filled_survey(html)
    for token in (None, "forged-token"):
        payload = dict(data)
        if token is None:
            del payload["csrf_token"]
        else:
            payload["csrf_token"] = token
        response = client.post(path, data=payload)
        assert response.status_code == 400
        assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    assert_nothing_stored(app)


def test_oversized_body_is_413(client, survey, app):
    path, html = survey
    data = filled_survey(html, comment="x" * 100_000)
    response = client.post(path, data=data)
    assert response.status_code == 413
    assert "Dữ liệu gửi lên quá lớn" in response.get_data(as_text=True)
    assert_nothing_stored(app)


def test_body_that_is_not_utf8_is_400(client, survey, app):
    path, html = survey
    data = filled_survey(html)
    from urllib.parse import urlencode

    body = urlencode(data).encode() + b"&comment=%C3%28%FF"
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    raw = urlencode(data).encode() + b"&comment=\xff\xfe"
    response = client.post(path, data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert client.get(path + "?x=%FF").status_code == 400
    assert_nothing_stored(app)


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"", "application/x-www-form-urlencoded"),
        (b"\x00\x01\x02", "application/octet-stream"),
        (b'{"A1": 5}', "application/json"),
        (b"--x\r\nContent-Disposition: form-data; name=A1\r\n\r\n5\r\n--x--",
         "multipart/form-data; boundary=x"),
        (b"garbage", "multipart/form-data"),
    ],
)
def test_strange_bodies_never_give_500(client, survey, app, body, content_type):
    path, _ = survey
    response = client.post(path, data=body, content_type=content_type)
    assert response.status_code == 400
    assert_nothing_stored(app)


def test_wrong_method_is_405_page(client, survey):
    path, _ = survey
    response = client.put(path)
    assert response.status_code == 405
    assert "Không được phép" in response.get_data(as_text=True)


def test_unknown_page_is_404_in_vietnamese(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/s/%00", "/s/abc%00def", "/s/x?lang=vi%00",
                                  "/admin/login?next=%2F%00", "/s/%01x"])
def test_control_characters_in_the_address_are_a_400(client, demo, path):
    response = client.get(path)
    assert response.status_code == 400, path
    assert "ký tự điều khiển" in response.get_data(as_text=True)


def test_a_nul_in_a_comment_is_removed_and_the_answer_kept(client, survey, app):
    path, html = survey
    response = client.post(path, data=filled_survey(html, comment="Chờ\x00 lâu\x07 quá"))
    assert response.status_code == 303
    with app.app_context():
        [stored] = db.session.scalars(sa.select(Response)).all()
        assert stored.comment == "Chờ lâu quá"


def test_a_nul_in_the_sign_in_e_mail_is_not_a_500(client, demo):
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post("/admin/login", data={
        "csrf_token": read_form(page).hidden["csrf_token"], "email": "admin\x00@q1.example.vn",
        "password": "wrong"})
    assert response.status_code < 500
