"""Accounts and sessions (issue 15): a printed password replaced at the first sign-in,
sessions that end (idle, too old, moved, signed out, disabled, new role), the password
reset by e-mail through a real SMTP server, API tokens that expire and are revoked."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import PASSWORD, gen_user, post_sign_in, set_password, sign_in
from helpers import read_form

from satisfaction.accounts import resets
from satisfaction.clock import utcnow
from satisfaction.db.accounts import ApiToken, AuditEntry, Role, User
from satisfaction.extensions import db

NEW_PASSWORD = "một cụm từ mới đủ dài"


def csrf_of(client, path: str) -> str:
    return read_form(client.get(path).get_data(as_text=True)).hidden["csrf_token"]


def change_password(client, current: str, new: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post("/admin/account/password", data={
        "csrf_token": csrf_of(client, "/admin/account"), "current_password": current,
        "new_password": new, "confirm": new if confirm is None else confirm})


def user_named(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_the_printed_demo_password_must_be_changed_at_first_sign_in(client, app, demo):
    response = post_sign_in(client, demo.admin_email, demo.admin_password)
    assert response.status_code == 303 and response.location.endswith("/admin/account")
    # Nothing else opens until the password is the user's own.
    for path in ("/admin/", "/admin/inbox", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.endswith("/admin/account")
    page = client.get("/admin/account").get_data(as_text=True)
    assert "Vui lòng đặt mật khẩu của riêng mình để tiếp tục" in page
    # Too short, the same again, not confirmed: refused, each with its reason.
    html = change_password(client, demo.admin_password, "ngắn").get_data(as_text=True)
    assert "ít nhất 12 ký tự" in html
    assert change_password(client, demo.admin_password, demo.admin_password).status_code == 422
    assert change_password(client, demo.admin_password, NEW_PASSWORD, "khác").status_code == 422
    assert change_password(client, "sai", NEW_PASSWORD).status_code == 422
    response = change_password(client, demo.admin_password)
    assert response.status_code == 303
    assert client.get("/admin/").status_code == 200  # this session goes on
    with app.app_context():
        assert not user_named(demo.admin_email).must_change_password
    client.post("/admin/logout", data={"csrf_token": csrf_of(client, "/admin/account")})
    assert post_sign_in(client, demo.admin_email, demo.admin_password).status_code == 401
    assert post_sign_in(client, demo.admin_email, NEW_PASSWORD).location.endswith("/admin/")


def test_an_idle_session_ends_after_the_idle_timeout(client, app, demo, monkeypatch):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 1.5 / 60)  # 1.5 s
    sign_in(client, "reviewer@q1.example.vn")
    assert client.get("/admin/inbox").status_code == 200
    time.sleep(1.0)
    assert client.get("/admin/inbox").status_code == 200  # in use: not idle
    time.sleep(2.0)
    response = client.get("/admin/inbox")
    assert response.status_code == 302 and "/admin/login" in response.location
    assert "Phiên làm việc đã kết thúc" in client.get(response.location).get_data(as_text=True)


def test_a_session_ends_after_its_lifetime_even_in_use(client, app, demo, monkeypatch):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    monkeypatch.setitem(app.config, "SESSION_LIFETIME_HOURS", 2 / 3600)  # 2 s
    sign_in(client, "reviewer@q1.example.vn")
    for _ in range(3):
        assert client.get("/admin/inbox").status_code == 200
        time.sleep(0.5)
    time.sleep(1.0)
    assert client.get("/admin/inbox").status_code == 302


def test_a_session_moved_to_another_address_ends(client, app, demo):
    """Flask-Login's strong session protection: a cookie copied to another machine."""
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    assert client.get("/admin/inbox").status_code == 200
    moved = client.get("/admin/inbox", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert moved.status_code == 302


def test_disabling_or_a_new_role_ends_sessions_at_once(client, app, demo, runner):
    gen_user(app, "bn@q1.example.vn", Role.UNIT_MANAGER, "Q1-BN")
    sign_in(client, "bn@q1.example.vn")
    assert client.get("/admin/reports/sipas/Q1-BN").status_code == 200
    result = runner.invoke(args=["users", "role", "--email", "bn@q1.example.vn",
                                 "--role", "unit_manager", "--unit", "Q1-TD"])
    assert result.exit_code == 0, result.output
    assert client.get("/admin/reports/sipas/Q1-BN").status_code == 302
    sign_in(client, "bn@q1.example.vn")
    assert client.get("/admin/reports/sipas/Q1-BN").status_code == 404  # no longer theirs
    assert client.get("/admin/reports/sipas/Q1-TD").status_code == 200
    assert runner.invoke(args=["users", "disable", "--email", "bn@q1.example.vn"]).exit_code == 0
    assert client.get("/admin/reports/sipas/Q1-TD").status_code == 302
    assert post_sign_in(client, "bn@q1.example.vn").status_code == 401
    assert runner.invoke(args=["users", "enable", "--email", "bn@q1.example.vn"]).exit_code == 0
    sign_in(client, "bn@q1.example.vn")
    listing = runner.invoke(args=["users", "list"]).output
    assert re.search(r"bn@q1\.example\.vn\tunit_manager\tQ1-TD\tactive", listing)
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.subject == "bn@q1.example.vn")).all()
    assert {"users.role", "users.disable", "users.enable"} <= set(actions)


def test_the_users_page_is_for_administrators_and_takes_effect(client, app, demo):
    set_password(app, demo.admin_email)
    gen_user(app, "bn@q1.example.vn", Role.UNIT_MANAGER, "Q1-BN")
    other = app.test_client()
    sign_in(other, "bn@q1.example.vn")
    assert other.get("/admin/users").status_code == 403
    sign_in(client, demo.admin_email)
    html = client.get("/admin/users").get_data(as_text=True)
    assert "bn@q1.example.vn" in html and "Quản lý đơn vị" in html
    with app.app_context():
        target = user_named("bn@q1.example.vn").id
        me = user_named(demo.admin_email).id
    csrf = csrf_of(client, "/admin/users")
    assert client.post(f"/admin/users/{me}/disable", data={"csrf_token": csrf}).status_code == 422
    assert client.post(f"/admin/users/{target}/role", data={
        "csrf_token": csrf, "role": "unit_manager", "unit": "KHÔNG-CÓ"}).status_code == 422
    assert client.post(f"/admin/users/{target}/disable",
                       data={"csrf_token": csrf}).status_code == 303
    assert other.get("/admin/inbox").status_code == 302
    given = client.post(f"/admin/users/{target}/password", data={"csrf_token": csrf})
    password = re.search(r"<code>([^<]+)</code>", given.get_data(as_text=True)).group(1)
    client.post(f"/admin/users/{target}/enable", data={"csrf_token": csrf})
    response = post_sign_in(other, "bn@q1.example.vn", password)
    assert response.location.endswith("/admin/account")  # a password someone else saw


def test_a_password_reset_by_email_works_once_and_for_an_hour(client, app, demo, smtp):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    csrf = csrf_of(client, "/admin/password/forgot")
    known = client.post("/admin/password/forgot",
                        data={"csrf_token": csrf, "email": "reviewer@q1.example.vn"})
    unknown = client.post("/admin/password/forgot",
                          data={"csrf_token": csrf, "email": "khong-co@q1.example.vn"})
    # The same answer whether or not the address has an account.
    assert known.status_code == unknown.status_code == 303
    assert (client.get(known.location).get_data(as_text=True).count("Nếu địa chỉ này")
            >= 1)
    assert [rcpt for rcpt, _ in smtp.messages] == [["reviewer@q1.example.vn"]]
    message = smtp.messages[0][1]
    assert message["Subject"] == "Đặt lại mật khẩu"
    body = message.get_content()
    assert "trong vòng 60 phút" in body
    link = re.search(r"https://khaosat\.q1\.example\.vn(/admin/password/reset/\S+)", body).group(1)
    form = read_form(client.get(link).get_data(as_text=True))
    response = client.post(link, data={"csrf_token": form.hidden["csrf_token"],
                                       "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    sign_in(client, "reviewer@q1.example.vn", NEW_PASSWORD)
    # Used once: refused the second time.
    assert client.get(link).status_code == 410
    csrf = csrf_of(client, "/admin/password/forgot")
    response = client.post(link, data={"csrf_token": csrf,
                                       "new_password": "lần thứ hai cũng dài",
                                       "confirm": "lần thứ hai cũng dài"})
    assert response.status_code == 410
    # A link issued an hour and a second ago is refused; one issued 59 minutes ago is not.
    with app.app_context():
        user = user_named("reviewer@q1.example.vn")
        old = resets.reset_token(user, utcnow() - timedelta(hours=1, seconds=1))
        fresh = resets.reset_token(user, utcnow() - timedelta(minutes=59))
    assert client.get(f"/admin/password/reset/{old}").status_code == 410
    assert client.get(f"/admin/password/reset/{fresh}").status_code == 200
    assert client.get("/admin/password/reset/giả-mạo").status_code == 410


def issue_on_page(client, label="cổng dữ liệu", days="90") -> str:
    html = client.post("/admin/account/tokens", data={
        "csrf_token": csrf_of(client, "/admin/account"), "label": label, "days": days,
    }).get_data(as_text=True)
    return re.search(r"<code>(sat_[^<]+)</code>", html).group(1)


def api(client, token):
    return client.get("/api/v1/indices", headers={"Authorization": f"Bearer {token}"})


def test_a_token_revoked_on_its_page_stops_at_once(client, app, demo):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    token = issue_on_page(client)
    caller = app.test_client()
    assert api(caller, token).status_code == 200
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken))
        assert row.last_used_at is not None and row.label == "cổng dữ liệu"
        assert timedelta(days=89) < row.expires_at - utcnow() <= timedelta(days=90)
        token_id = row.id
    page = client.get("/admin/account").get_data(as_text=True)
    assert "cổng dữ liệu" in page and "Còn hiệu lực" in page
    response = client.post(f"/admin/account/tokens/{token_id}/revoke",
                           data={"csrf_token": csrf_of(client, "/admin/account")})
    assert response.status_code == 303
    assert api(caller, token).status_code == 401
    assert "Đã thu hồi" in client.get("/admin/account").get_data(as_text=True)


def test_another_users_token_cannot_be_revoked_from_ones_page(client, app, demo, runner):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    gen_user(app, "other@q1.example.vn", Role.REVIEWER)
    token = runner.invoke(args=["users", "token", "--email", "other@q1.example.vn"]).output.strip()
    sign_in(client, "reviewer@q1.example.vn")
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    response = client.post(f"/admin/account/tokens/{token_id}/revoke",
                           data={"csrf_token": csrf_of(client, "/admin/account")})
    assert response.status_code == 404
    assert api(client, token).status_code == 200


def test_tokens_expire_are_listed_and_revoked_from_the_command_line(client, app, demo, runner):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    first = runner.invoke(args=["users", "token", "--email", "reviewer@q1.example.vn",
                                "--label", "portal", "--days", "30"]).output.strip()
    second = runner.invoke(args=["users", "token", "--email", "reviewer@q1.example.vn"]
                           ).output.strip()
    assert api(client, first).status_code == 200
    listing = runner.invoke(args=["users", "tokens", "--email", "reviewer@q1.example.vn"]).output
    assert listing.count("\tactive") == 2 and "portal" in listing
    assert re.search(r"portal\tissued \S+ \S+\texpires \S+ \S+\tlast used \d{4}-", listing)
    first_id = int(re.search(r"#(\d+)\tportal", listing).group(1))
    result = runner.invoke(args=["users", "revoke-token", "--id", str(first_id)])
    assert result.exit_code == 0 and "Revoked 1" in result.output
    assert api(client, first).status_code == 401 and api(client, second).status_code == 200
    # An expired token stops like a revoked one.
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.revoked_at.is_(None)))
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert api(client, second).status_code == 401
    assert "\texpired" in runner.invoke(
        args=["users", "tokens", "--email", "reviewer@q1.example.vn"]).output
    result = runner.invoke(args=["users", "revoke-token", "--email", "reviewer@q1.example.vn",
                                 "--all"])
    assert result.exit_code == 0
    assert runner.invoke(args=["users", "revoke-token"]).exit_code != 0


def test_a_new_password_stops_the_old_api_tokens(client, app, demo, runner):
    """Audit finding 3: the old API token still worked after a password change."""
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    token = runner.invoke(args=["users", "token", "--email", "reviewer@q1.example.vn"]
                          ).output.strip()
    sign_in(client, "reviewer@q1.example.vn")
    assert api(client, token).status_code == 200
    assert change_password(client, PASSWORD).status_code == 303
    assert api(client, token).status_code == 401


@pytest.mark.parametrize("password", ["mật-khẩu-thử-nghiệm-dài"])
def test_passwords_are_stored_with_scrypt_by_default(app, demo, password):
    """The suite uses a cheap hash for speed; production's default is Werkzeug's scrypt."""
    from satisfaction.accounts.auth import hash_password

    with app.app_context():
        method = app.config.pop("PASSWORD_HASH_METHOD")
        try:
            assert hash_password(password).startswith("scrypt:")
        finally:
            app.config["PASSWORD_HASH_METHOD"] = method
