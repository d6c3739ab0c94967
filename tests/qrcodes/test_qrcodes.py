"""QR codes: short codes, issuing, rotation with a grace period, revocation, the admin
pages (real CSRF tokens, scoped by unit) and ``flask qr``."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from factories import PASSWORD, sign_in

from satisfaction.accounts.auth import hash_password
from satisfaction.db.accounts import AuditEntry, User
from satisfaction.db.codes import QrToken
from satisfaction.db.units import Counter, ProcedureField, Unit
from satisfaction.demo.district import seed_district1
from satisfaction.extensions import db
from satisfaction.qrcodes import links
from satisfaction.qrcodes.codes import (
    SHORT_CODE_ALPHABET,
    QrCodeError,
    issue_code,
    new_short_code,
    relabel_code,
    revoke_code,
    rotate_code,
    set_dossier_mode,
)

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
SHORT = re.compile(f"^[{SHORT_CODE_ALPHABET}]{{8}}$")


def token_of(demo, unit_code: str) -> QrToken:
    return db.session.scalar(
        sa.select(QrToken).where(QrToken.token == demo.survey_tokens[unit_code]))


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- Services --------------------------------------------------------------------------


def test_seeded_codes_have_distinct_short_codes_without_look_alikes(app_ctx, demo):
    codes = db.session.scalars(sa.select(QrToken)).all()
    assert len(codes) == 11
    shorts = [code.short_code for code in codes]
    assert all(SHORT.match(short) for short in shorts), shorts
    assert len(set(shorts)) == 11
    assert not set("01ILO") & set(SHORT_CODE_ALPHABET)
    short = shorts[0]
    app_ctx.config["BASE_URL"] = "https://gopy.example.vn"
    try:
        assert links.short_url(short) == f"https://gopy.example.vn/m/{short[:4]}-{short[4:]}"
        assert links.kiosk_url("abc") == "https://gopy.example.vn/k/abc"
    finally:
        app_ctx.config["BASE_URL"] = ""
    assert SHORT.match(new_short_code())


def test_seeding_again_gives_codes_without_one_a_short_code(app_ctx, demo):
    code = token_of(demo, "Q1-DK")
    code.short_code = None
    db.session.commit()
    again = seed_district1()
    db.session.commit()
    assert again.survey_tokens == demo.survey_tokens
    db.session.refresh(code)
    assert SHORT.match(code.short_code)


def test_rotation_keeps_the_old_code_working_during_the_grace_period(app_ctx, demo):
    old = token_of(demo, "Q1-BN")
    field = db.session.scalar(sa.select(ProcedureField).where(ProcedureField.code == "ho-tich"))
    old.procedure_field = field
    old.label = "Quầy 1"
    new = rotate_code(old, timedelta(days=14), None, now=NOW)
    db.session.commit()

    assert old.replaced_by_id == new.id and old.expires_at == NOW + timedelta(days=14)
    assert (new.counter_id, new.questionnaire_id, new.channel, new.procedure_field_id,
            new.label) == (old.counter_id, old.questionnaire_id, "qr", field.id, "Quầy 1")
    assert new.token != old.token and SHORT.match(new.short_code)
    assert new.short_code != old.short_code
    # Within the grace period both work; after it only the new one. The poster to print
    # is the new one from the start.
    assert old.is_active_at(NOW + timedelta(days=13, hours=23))
    assert not old.is_active_at(NOW + timedelta(days=14))
    assert new.is_active_at(NOW + timedelta(days=400))
    assert new.is_current and not old.is_current
    entry = audit("qr.rotate")[-1]
    assert entry.subject == f"qr_token:{old.id}" and entry.details["replaced_by"] == new.id
    assert entry.details["grace_days"] == 14


def test_rotation_without_grace_ends_the_old_code_now(app_ctx, demo):
    old = token_of(demo, "Q1-BN")
    rotate_code(old, timedelta(0), None, now=NOW)
    assert not old.is_active_at(NOW)
    assert old.is_active_at(NOW - timedelta(seconds=1))


def test_rotating_a_revoked_or_replaced_code_is_refused(app_ctx, demo):
    old = token_of(demo, "Q1-BN")
    new = rotate_code(old, timedelta(days=3), None, now=NOW)
    with pytest.raises(QrCodeError, match="already replaced") as caught:
        rotate_code(old, timedelta(days=3), None, now=NOW)
    assert caught.value.reason == "replaced"
    revoke_code(new, None, now=NOW)
    with pytest.raises(QrCodeError, match="revoked"):
        rotate_code(new, timedelta(days=3), None, now=NOW)
    with pytest.raises(QrCodeError, match="negative"):
        rotate_code(token_of(demo, "Q1-DK"), timedelta(days=-1), None)


def test_revoked_codes_are_inactive_at_once(app_ctx, demo):
    code = token_of(demo, "Q1-BT")
    revoke_code(code, None, now=NOW)
    assert not code.is_active_at(NOW) and not code.is_active and not code.is_current
    with pytest.raises(QrCodeError):
        revoke_code(code, None)
    # Revoking a code in its grace period ends the grace.
    old = token_of(demo, "Q1-BN")
    rotate_code(old, timedelta(days=14), None, now=NOW)
    revoke_code(old, None, now=NOW + timedelta(days=1))
    assert not old.is_active_at(NOW + timedelta(days=2))
    assert [e.subject for e in audit("qr.revoke")] == [f"qr_token:{code.id}",
                                                       f"qr_token:{old.id}"]


def test_issue_relabel_and_dossier_mode_are_audited(app_ctx, demo):
    code = token_of(demo, "Q1-BN")
    kiosk = issue_code(code.counter, code.questionnaire, channel="kiosk", label=" Máy tính bảng ",
                       user_id=None)
    assert kiosk.channel == "kiosk" and kiosk.short_code is None and kiosk.label == "Máy tính bảng"
    with pytest.raises(QrCodeError):
        issue_code(code.counter, code.questionnaire, channel="paper")
    relabel_code(kiosk, "", None)
    assert kiosk.label is None
    with pytest.raises(QrCodeError):
        relabel_code(kiosk, "x" * 201, None)
    set_dossier_mode(code.counter, "required", None)
    assert code.counter.dossier_mode == "required"
    with pytest.raises(QrCodeError):
        set_dossier_mode(code.counter, "sometimes", None)
    db.session.commit()
    assert audit("qr.issue")[-1].details["channel"] == "kiosk"
    assert audit("qr.label")[-1].details == {"old": "Máy tính bảng", "new": None}
    assert audit("counter.dossier_mode")[-1].details["new"] == "required"


# --- Admin pages -----------------------------------------------------------------------


@pytest.fixture
def users(app, demo):
    """The administrator, a reviewer (a district clerk) and Bến Nghé's unit manager."""
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == demo.admin_email))
        admin.password_hash = hash_password(PASSWORD)
        admin.must_change_password = False
        ben_nghe = db.session.scalar(sa.select(Unit).where(Unit.code == "Q1-BN"))
        for email, role, unit in (("clerk@q1.example.vn", "reviewer", None),
                                  ("bennghe@q1.example.vn", "unit_manager", ben_nghe)):
            db.session.add(User(email=email, role=role, unit_id=unit.id if unit else None,
                                password_hash=hash_password(PASSWORD)))
        db.session.commit()
    return {"admin": demo.admin_email, "clerk": "clerk@q1.example.vn",
            "manager": "bennghe@q1.example.vn"}


def csrf_of(html: str) -> str:
    return re.search(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def code_id(app, demo, unit_code: str) -> int:
    with app.app_context():
        return token_of(demo, unit_code).id


def test_the_list_shows_every_unit_with_its_short_and_poster_links(client, demo, users, app):
    sign_in(client, users["admin"])
    page = client.get("/admin/qr/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with app.app_context():
        for code in db.session.scalars(sa.select(QrToken)):
            short = code.short_code
            assert f"/m/{short[:4]}-{short[4:]}" in html
            assert f"/s/{code.token}" in html
            assert f"/admin/qr/codes/{code.id}/poster?format=pdf&amp;size=A4" in html
    assert "Phường Bến Nghé" in html and "Phường Tân Định" in html
    assert "/admin/qr/posters.zip" in html
    # The nav links here for everyone.
    assert 'href="/admin/qr/"' in client.get("/admin/alerts/").get_data(as_text=True)


def test_admin_issues_relabels_rotates_and_revokes_with_real_csrf(client, demo, users, app):
    sign_in(client, users["admin"])
    html = client.get("/admin/qr/Q1-BN/").get_data(as_text=True)
    token = csrf_of(html)
    with app.app_context():
        counter = db.session.scalar(
            sa.select(Counter).join(Unit).where(Unit.code == "Q1-BN", Counter.code == "MC1"))
        counter_id = counter.id
    prefix = f"issue{counter_id}"
    assert f'name="{prefix}-questionnaire"' in html

    # Without the token nothing happens.
    refused = client.post("/admin/qr/Q1-BN/MC1/codes", data={
        f"{prefix}-questionnaire": "sipas-2640", f"{prefix}-channel": "qr"})
    assert refused.status_code == 400

    issued = client.post("/admin/qr/Q1-BN/MC1/codes", data={
        f"{prefix}-csrf_token": token, f"{prefix}-questionnaire": "sipas-1001",
        f"{prefix}-procedure_field": "chung-thuc", f"{prefix}-channel": "qr",
        f"{prefix}-label": "Quầy chứng thực"})
    assert issued.status_code == 303
    with app.app_context():
        new = db.session.scalar(sa.select(QrToken).where(QrToken.label == "Quầy chứng thực"))
        assert new.questionnaire.code == "sipas-1001"
        assert new.procedure_field.code == "chung-thuc" and SHORT.match(new.short_code)
        new_id = new.id
    html = client.get("/admin/qr/Q1-BN/").get_data(as_text=True)
    assert "Quầy chứng thực" in html

    relabelled = client.post(f"/admin/qr/codes/{new_id}/label", data={
        f"label{new_id}-csrf_token": token, f"label{new_id}-label": "Cửa sổ 2"})
    assert relabelled.status_code == 303

    # The grace period is 0 to 90 days.
    too_long = client.post(f"/admin/qr/codes/{new_id}/rotate", data={
        f"rotate{new_id}-csrf_token": token, f"rotate{new_id}-grace_days": "91"})
    assert too_long.status_code == 422
    rotated = client.post(f"/admin/qr/codes/{new_id}/rotate", data={
        f"rotate{new_id}-csrf_token": token, f"rotate{new_id}-grace_days": "7"})
    assert rotated.status_code == 303
    with app.app_context():
        old = db.session.get(QrToken, new_id)
        assert old.label == "Cửa sổ 2" and old.replaced_by is not None
        assert old.replaced_by.label == "Cửa sổ 2"
        assert timedelta(days=6, hours=23) < old.expires_at - old.replaced_by.created_at
        successor_id = old.replaced_by_id
    # The replaced code is shown as in its grace period, without a poster.
    html = client.get("/admin/qr/Q1-BN/").get_data(as_text=True)
    assert f'id="code-{new_id}"' in html and f'id="code-{successor_id}"' in html
    assert f"/admin/qr/codes/{new_id}/poster" not in html
    assert client.get(f"/admin/qr/codes/{new_id}/poster").status_code == 404
    again = client.post(f"/admin/qr/codes/{new_id}/rotate", data={
        f"rotate{new_id}-csrf_token": token, f"rotate{new_id}-grace_days": "7"})
    assert again.status_code == 409

    # Revoking asks first.
    confirm = client.get(f"/admin/qr/codes/{successor_id}/revoke")
    assert confirm.status_code == 200
    unconfirmed = client.post(f"/admin/qr/codes/{successor_id}/revoke",
                              data={"csrf_token": csrf_of(confirm.get_data(as_text=True))})
    assert unconfirmed.status_code == 422
    revoked = client.post(f"/admin/qr/codes/{successor_id}/revoke",
                          data={"csrf_token": token, "confirm": "y"})
    assert revoked.status_code == 303
    with app.app_context():
        assert db.session.get(QrToken, successor_id).revoked_at is not None
        actions = [e.action for e in db.session.scalars(sa.select(AuditEntry))]
        assert {"qr.issue", "qr.label", "qr.rotate", "qr.revoke"} <= set(actions)
        assert all(e.user_id is not None for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action.like("qr.%"))))


def test_admin_sets_a_counters_dossier_mode(client, demo, users, app):
    sign_in(client, users["admin"])
    html = client.get("/admin/qr/Q1-DK/").get_data(as_text=True)
    prefix = re.search(r'name="(dossier\d+)-mode"', html).group(1)
    response = client.post("/admin/qr/Q1-DK/MC1/dossier-mode", data={
        f"{prefix}-csrf_token": csrf_of(html), f"{prefix}-mode": "verified"})
    assert response.status_code == 303
    bad = client.post("/admin/qr/Q1-DK/MC1/dossier-mode", data={
        f"{prefix}-csrf_token": csrf_of(html), f"{prefix}-mode": "always"})
    assert bad.status_code == 422
    with app.app_context():
        counter = db.session.scalar(sa.select(Counter).join(Unit).where(Unit.code == "Q1-DK"))
        assert counter.dossier_mode == "verified"


def test_a_clerk_prints_every_wards_poster_as_one_zip_but_changes_nothing(
        client, demo, users, app):
    sign_in(client, users["clerk"])
    response = client.get("/admin/qr/posters.zip?format=svg&size=A5")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert len(names) == 11 and all(n.endswith("_A5.svg") for n in names)
        svg = archive.read("Q1-BN_MC1_sipas-2640_A5.svg").decode("utf-8")
    assert "Phường Bến Nghé" in svg
    one = client.get(f"/admin/qr/codes/{code_id(app, demo, 'Q1-TD')}/poster?format=png&size=A4")
    assert one.status_code == 200 and one.mimetype == "image/png"
    assert 'filename="Q1-TD_MC1_sipas-2640_A4.png"' in one.headers["Content-Disposition"]
    # Reviewers may write (paper forms) but not manage codes.
    html = client.get("/admin/qr/Q1-BN/").get_data(as_text=True)
    assert "rotate" not in html
    target = code_id(app, demo, "Q1-BN")
    response = client.post(f"/admin/qr/codes/{target}/rotate", data={
        "csrf_token": csrf_of(html), f"rotate{target}-grace_days": "7"})
    assert response.status_code == 403


def test_a_ward_manager_sees_and_prints_only_their_ward(client, demo, users, app):
    sign_in(client, users["manager"])
    html = client.get("/admin/qr/").get_data(as_text=True)
    assert "Phường Bến Nghé" in html and "Phường Bến Thành" not in html
    own, other = code_id(app, demo, "Q1-BN"), code_id(app, demo, "Q1-BT")
    assert client.get(f"/admin/qr/codes/{own}/poster").status_code == 200
    assert client.get(f"/admin/qr/codes/{other}/poster").status_code == 404
    assert client.get("/admin/qr/Q1-BT/posters.zip").status_code == 404
    assert client.get("/admin/qr/Q1-BT/").status_code == 404
    with zipfile.ZipFile(io.BytesIO(client.get("/admin/qr/posters.zip").data)) as archive:
        assert archive.namelist() == ["Q1-BN_MC1_sipas-2640_A4.pdf"]
    token = csrf_of(client.get("/admin/qr/Q1-BN/").get_data(as_text=True))
    for target, status in ((own, 403), (other, 404)):
        response = client.post(f"/admin/qr/codes/{target}/rotate", data={
            f"rotate{target}-csrf_token": token, f"rotate{target}-grace_days": "7"})
        assert response.status_code == status
        assert client.post(f"/admin/qr/codes/{target}/revoke", data={
            "csrf_token": token, "confirm": "y"}).status_code == status
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QrToken).where(
            QrToken.replaced_by_id.is_not(None) | QrToken.revoked_at.is_not(None))) == 0


def test_unknown_units_codes_and_formats_get_clear_error_pages(client, demo, users, app):
    sign_in(client, users["admin"])
    for path in ("/admin/qr/Q9-XX/", "/admin/qr/Q9-XX/posters.zip",
                 "/admin/qr/codes/999999/poster", "/admin/qr/codes/999999/revoke",
                 "/admin/qr/codes/99999999999999999999/poster"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "<h1>" in response.get_data(as_text=True)
    page = client.get("/admin/qr/Q9-XX/posters.zip").get_data(as_text=True)
    assert "Đơn vị này không tồn tại" in page or "This unit does not exist" in page
    own = code_id(app, demo, "Q1-BN")
    assert client.get(f"/admin/qr/codes/{own}/poster?format=docx").status_code == 400
    assert client.get(f"/admin/qr/codes/{own}/poster?size=A3").status_code == 400
    # A kiosk code has no poster: a 404 that says why.
    with app.app_context():
        code = db.session.get(QrToken, own)
        kiosk_id = issue_code(code.counter, code.questionnaire, channel="kiosk").id
        db.session.commit()
    response = client.get(f"/admin/qr/codes/{kiosk_id}/poster")
    assert response.status_code == 404
    assert "/k/" in client.get("/admin/qr/Q1-BN/").get_data(as_text=True)


# --- CLI -------------------------------------------------------------------------------


def test_cli_exports_posters_of_a_unit_and_of_all(runner, demo, tmp_path):
    out = tmp_path / "posters"
    result = runner.invoke(args=["qr", "export", "--unit", "Q1-BN", "--format", "pdf",
                                 "--format", "svg", "--size", "A5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "BASE_URL is not set" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "Q1-BN_MC1_sipas-2640_A5.pdf", "Q1-BN_MC1_sipas-2640_A5.svg"]
    assert (out / "Q1-BN_MC1_sipas-2640_A5.pdf").read_bytes().startswith(b"%PDF-")
    svg = (out / "Q1-BN_MC1_sipas-2640_A5.svg").read_text(encoding="utf-8")
    assert f"/s/{demo.survey_tokens['Q1-BN']}" not in svg  # the address is in the code only
    assert "Phường Bến Nghé" in svg

    result = runner.invoke(args=["qr", "export", "--all", "--format", "png",
                                 "--out", str(tmp_path / "all")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "all").glob("*_A4.png"))) == 11

    result = runner.invoke(args=["qr", "export", "--unit", "Q9-XX", "--out", str(out)])
    assert result.exit_code != 0 and "unknown unit Q9-XX" in result.output
    result = runner.invoke(args=["qr", "export", "--out", str(out)])
    assert result.exit_code != 0


def test_cli_rotates_a_code_by_token_or_short_code(runner, demo, app):
    result = runner.invoke(args=["qr", "rotate", "--token", demo.survey_tokens["Q1-BN"],
                                 "--grace-days", "0"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        old = db.session.scalar(
            sa.select(QrToken).where(QrToken.token == demo.survey_tokens["Q1-BN"]))
        assert not old.is_active and old.replaced_by is not None
        assert f"/s/{old.replaced_by.token}" in result.output
        short = old.replaced_by.short_code
    typed = f"{short[:4].lower()}-{short[4:].lower()}"
    result = runner.invoke(args=["qr", "rotate", "--token", typed, "--grace-days", "30"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["qr", "rotate", "--token", demo.survey_tokens["Q1-BN"]])
    assert result.exit_code != 0 and "already replaced" in result.output
