"""Staff sign-in and the overview of units, counters and QR codes."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from factories import post_sign_in, set_password

from satisfaction.db.accounts import User
from satisfaction.extensions import db

WARDS = [
    "Bến Nghé", "Bến Thành", "Cầu Kho", "Cầu Ông Lãnh", "Cô Giang", "Đa Kao",
    "Nguyễn Cư Trinh", "Nguyễn Thái Bình", "Phạm Ngũ Lão", "Tân Định",
]


@pytest.fixture
def admin_password(app, demo):
    return set_password(app, demo.admin_email)


def test_admin_pages_require_sign_in(client, demo):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")


def test_wrong_password_is_refused_in_vietnamese(client, demo, admin_password):
    response = post_sign_in(client, demo.admin_email, "sai-mật-khẩu")
    assert response.status_code == 401
    assert "Địa chỉ thư điện tử hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    response = post_sign_in(client, "khong-co@example.vn", admin_password)
    assert response.status_code == 401


def test_sign_in_lists_units_counters_and_decodable_qr_links(client, demo, admin_password):
    response = post_sign_in(client, demo.admin_email.upper(), admin_password)
    assert response.status_code == 303
    page = client.get("/admin/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for ward in WARDS:
        assert f"Phường {ward}" in html
    assert "Phòng Nội vụ" in html
    for token in demo.survey_tokens.values():
        assert f"/s/{token}" in html
    assert html.count("<svg") == len(demo.survey_tokens) == 11


def test_sign_out_needs_the_csrf_token(client, demo, admin_password):
    post_sign_in(client, demo.admin_email, admin_password)
    page = client.get("/admin/").get_data(as_text=True)
    assert client.post("/admin/logout").status_code == 400
    assert client.get("/admin/").status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/admin/").status_code == 302


def test_password_is_stored_with_a_modern_hash(app, demo):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == demo.admin_email))
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert demo.admin_password not in user.password_hash


def test_seeding_twice_reuses_what_is_there(app, demo):
    from satisfaction.demo.district import seed_district1

    with app.app_context():
        again = seed_district1()
        db.session.commit()
    assert again.admin_password is None
    assert again.survey_tokens == demo.survey_tokens


def test_counter_activity_in_local_time(client, demo, admin_password, app):
    from datetime import UTC, datetime

    from satisfaction.db.catalogue import QuestionnaireVersion
    from satisfaction.db.responses import Response
    from satisfaction.db.units import Counter, Unit

    with app.app_context():
        counter = db.session.scalar(sa.select(Counter).join(Unit).where(Unit.code == "Q1-DK"))
        version = db.session.scalar(sa.select(QuestionnaireVersion))
        for n, hour in enumerate((1, 17)):
            db.session.add(Response(
                submission_key=f"k{n}", questionnaire_version_id=version.id,
                unit_id=counter.unit_id, counter_id=counter.id, respondent_kind="citizen",
                channel="qr", locale="vi",
                # 17:30 UTC on 1 January is 00:30 on 2 January in Ho Chi Minh City.
                submitted_at=datetime(2026, 1, 1, hour, 30, tzinfo=UTC),
            ))
        db.session.commit()
        stored = db.session.scalar(sa.select(sa.func.max(Response.submitted_at)))
        assert stored == datetime(2026, 1, 1, 17, 30, tzinfo=UTC)
    post_sign_in(client, demo.admin_email, admin_password)
    html = client.get("/admin/").get_data(as_text=True)
    row = html[html.index("Phường Đa Kao"):]
    row = row[: row.index("</tr>")]
    assert "lần cuối: 02/01/2026 00:30" in row
    client.get("/lang/en")
    html = client.get("/admin/").get_data(as_text=True)
    assert "last: 02/01/2026 00:30" in html


def test_sign_out_and_a_new_password_end_saved_sessions(client, app, demo, runner):
    """Audit finding 3: a saved session cookie still gave 200 after sign-out and after a
    password change."""
    from factories import gen_user, sign_in
    from helpers import read_form

    from satisfaction.db.accounts import Role

    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    assert client.get("/admin/inbox").status_code == 200
    saved = client.get_cookie("session").value  # an attacker's copy of the cookie
    csrf = read_form(client.get("/admin/inbox").get_data(as_text=True)).hidden["csrf_token"]
    assert client.post("/admin/logout", data={"csrf_token": csrf}).status_code == 303
    client.set_cookie("session", saved)
    assert client.get("/admin/inbox").status_code == 302  # back to the sign-in page
    # Signed in again on a second device; a new password ends that session too.
    sign_in(client, "reviewer@q1.example.vn")
    assert client.get("/admin/inbox").status_code == 200
    result = runner.invoke(args=["users", "password", "--email", "reviewer@q1.example.vn"])
    assert result.exit_code == 0, result.output
    assert client.get("/admin/inbox").status_code == 302
