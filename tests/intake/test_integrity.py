"""Answers that can be trusted: integrity checks quarantine, never delete; review releases
into the indices or rejects; kiosks, rotated codes, short codes and dossier codes."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa
from factories import PASSWORD, gen_user, post_sign_in, set_password
from helpers import count, filled_survey, read_form
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from settings import RELAXED_INTEGRITY

from satisfaction import clock
from satisfaction.accounts.access import SYSTEM_SCOPE
from satisfaction.accounts.auth import hash_password
from satisfaction.app import create_app
from satisfaction.clock import utcnow
from satisfaction.config import load_config
from satisfaction.counts.updates import rebuild
from satisfaction.db.accounts import AuditEntry, User
from satisfaction.db.codes import QrToken
from satisfaction.db.counts import DailyResponseCount
from satisfaction.db.responses import Dossier, DossierClaim, Response
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.indices import periods
from satisfaction.intake import quarantine
from satisfaction.intake.dossiers import hash_code
from satisfaction.reporting import reports

#: What a deployment runs with: the defaults of the configuration.
PRODUCTION = {
    key: value for key, value in load_config("/tmp", {"APP_ENV": "testing"}).items()
    if key in RELAXED_INTEGRITY
}
SYSTEM = SYSTEM_SCOPE


@pytest.fixture
def strict(app):
    """The production integrity limits, for one test (which may change more settings)."""
    saved = dict(app.config)
    app.config.update(PRODUCTION)
    yield app.config
    app.config.clear()
    app.config.update(saved)


def _statuses(app) -> list[tuple[str, list | None]]:
    with app.app_context():
        return [
            (status, flags) for status, flags in db.session.execute(
                sa.select(Response.status, Response.flags).order_by(Response.id))
        ]


def _counted(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(
            DailyResponseCount.count), 0)))


def _answer(client, path, value="4", address="203.0.113.7", **overrides):
    html = client.get(path, environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    data = filled_survey(html, value, **overrides)
    return client.post(path, data=data, environ_base={"REMOTE_ADDR": address})


def _varied(**extra):
    """Answers that are not all alike (straight-lining needs every item the same)."""
    return {"A1": "5", "A2": "3", **extra}


def _aged_submission(app, html: str, seconds: float) -> str:
    """The form's own signed id, as if the form had been served ``seconds`` ago."""
    class AgedSigner(TimestampSigner):
        def get_timestamp(self):
            return int(time.time() - seconds)

    serializer = URLSafeTimedSerializer(app.secret_key, salt="survey-submission")
    token_id, key = serializer.loads(read_form(html).hidden["submission"])
    aged = URLSafeTimedSerializer(app.secret_key, salt="survey-submission", signer=AgedSigner)
    return aged.dumps([token_id, key])


def test_fifty_rapid_answers_from_one_client_are_all_kept_and_quarantined_past_the_limit(
        client, ward_token, app, strict):
    strict.update(SURVEY_MIN_SECONDS=0, SURVEY_STRAIGHT_LINE_SECONDS=0,
                  SURVEY_DEVICE_REPEAT_HOURS=0)
    path = f"/s/{ward_token}"
    for _ in range(50):
        assert _answer(client, path, **_varied()).status_code == 303
    statuses = _statuses(app)
    assert len(statuses) == 50  # none lost
    assert [s for s, _ in statuses[:3]] == ["accepted"] * 3
    assert all(s == "quarantined" for s, _ in statuses[3:])
    assert all({"client_limit", "burst_client"} <= set(f) for _, f in statuses[3:])
    # Only the accepted answers are counted for the indices; every answer's items are kept.
    assert _counted(app) == 3
    with app.app_context():
        from satisfaction.db.responses import Answer
        assert count(Answer) == 50 * 22
        assert rebuild() == 3


def test_the_honeypot_and_the_minimum_time_quarantine(client, ward_token, app, strict):
    path = f"/s/{ward_token}"
    # The default minimum time (15 s): an instant answer is implausible.
    assert _answer(client, path, **_varied()).status_code == 303
    html = client.get(path).get_data(as_text=True)
    data = filled_survey(html, "4", **_varied(website="http://spam.example"))
    data["submission"] = _aged_submission(app, html, 40)
    client.delete_cookie("sv_device")
    client.post(path, data=data)
    (first, first_flags), (second, second_flags) = _statuses(app)
    assert first == "quarantined" and first_flags == ["too_fast"]
    assert second == "quarantined" and second_flags == ["honeypot"]


def test_a_form_answered_in_a_plausible_time_is_accepted(client, ward_token, app, strict):
    path = f"/s/{ward_token}"
    html = client.get(path).get_data(as_text=True)
    data = filled_survey(html, "4", **_varied())
    data["submission"] = _aged_submission(app, html, 95)
    assert client.post(path, data=data).status_code == 303
    with app.app_context():
        stored = db.session.scalar(sa.select(Response))
        assert stored.status == "accepted" and stored.flags is None
        assert 94 <= stored.elapsed_seconds <= 125  # 95 s, and a slow machine's delay
        # The client address is kept only as a truncated keyed hash.
        assert len(stored.client_hash) == 16 and "127" not in stored.client_hash
        assert stored.network_hash and stored.network_hash != stored.client_hash


def test_straight_lining_is_quarantined_only_when_implausibly_fast(client, ward_token, app,
                                                                  strict):
    strict.update(SURVEY_MIN_SECONDS=0)
    path = f"/s/{ward_token}"
    html = client.get(path).get_data(as_text=True)
    client.post(path, data=filled_survey(html, "5"))
    client.delete_cookie("sv_device")
    html = client.get(path, environ_base={"REMOTE_ADDR": "198.51.100.9"}).get_data(as_text=True)
    slow = filled_survey(html, "5")
    slow["submission"] = _aged_submission(app, html, 120)
    client.post(path, data=slow, environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert _statuses(app) == [("quarantined", ["straight_lining"]), ("accepted", None)]


def test_the_same_device_answering_a_counter_again_within_a_day_is_quarantined(
        client, app, ward_token, strict):
    strict.update(SURVEY_MIN_SECONDS=0)
    path = f"/s/{ward_token}"
    assert _answer(client, path, address="198.51.100.1", **_varied()).status_code == 303
    assert _answer(client, path, address="198.51.100.2", **_varied()).status_code == 303
    other_phone = app.test_client()
    assert _answer(other_phone, path, address="198.51.100.3", **_varied()).status_code == 303
    assert _statuses(app) == [
        ("accepted", None), ("quarantined", ["repeat_device"]), ("accepted", None)]


def test_a_burst_from_one_network_is_quarantined(app, ward_token, strict, clean_db):
    strict.update(SURVEY_MIN_SECONDS=0, SURVEY_BURST_NETWORK=5)
    path = f"/s/{ward_token}"
    for i in range(7):
        phone = app.test_client()
        assert _answer(phone, path, address=f"10.20.30.{i + 1}", **_varied()).status_code == 303
    assert _answer(app.test_client(), path, address="10.20.99.1", **_varied()).status_code == 303
    statuses = _statuses(app)
    assert [s for s, _ in statuses] == ["accepted"] * 5 + ["quarantined"] * 2 + ["accepted"]
    assert statuses[5][1] == ["burst_network"]


def test_rate_limits_are_shared_by_app_servers_through_redis(app, ward_token, clean_db,
                                                            database_url):
    """Two app instances with one REDIS_URL count one client together; each instance's
    memory alone would let it through."""
    redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
    servers = [
        create_app({
            "APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            **RELAXED_INTEGRITY, "SURVEY_CLIENT_LIMIT": "3 per 10 minutes",
        })
        for _ in range(2)
    ]
    path = f"/s/{ward_token}"
    try:
        for i in range(4):
            server = servers[i % 2]
            assert _answer(server.test_client(), path, **_varied()).status_code == 303
    finally:
        for server in servers:
            with server.app_context():
                db.engine.dispose()
        redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
    assert [s for s, _ in _statuses(app)] == ["accepted"] * 3 + ["quarantined"]
    assert _statuses(app)[3][1] == ["client_limit"]


def test_a_flood_beyond_the_hard_ceiling_gets_429_and_stores_nothing_more(
        client, ward_token, app, strict):
    strict.update(SURVEY_HARD_LIMIT="5 per minute")
    path = f"/s/{ward_token}"
    answers = [_answer(client, path, address="192.0.2.44", **_varied()) for _ in range(7)]
    assert [answer.status_code for answer in answers] == [303] * 5 + [429] * 2
    assert answers[-1].headers["Retry-After"] == "60"
    assert "Quá nhiều yêu cầu" in answers[-1].get_data(as_text=True)
    with app.app_context():
        assert count(Response) == 5
    # The ceiling is per client: another address still gets through.
    assert _answer(client, path, address="192.0.2.45", **_varied()).status_code == 303


def test_the_hard_ceiling_takes_every_limit_of_its_setting(client, ward_token, app, strict):
    strict.update(SURVEY_HARD_LIMIT="100 per minute; 3 per hour")
    path = f"/s/{ward_token}"
    codes = [_answer(client, path, address="192.0.2.46", **_varied()).status_code
             for _ in range(4)]
    assert codes == [303] * 3 + [429]


# --- review -----------------------------------------------------------------------------


@pytest.fixture
def quarantined_ids(client, ward_token, app, strict):
    path = f"/s/{ward_token}"
    for value in ("5", "1", "2"):  # instant: each trips the minimum time
        _answer(client, path, **_varied(A3=value))
        client.delete_cookie("sv_device")
    with app.app_context():
        return list(db.session.scalars(sa.select(Response.id).order_by(Response.id)))


def _admin(client, app, demo) -> None:
    set_password(app, demo.admin_email)
    assert post_sign_in(client, demo.admin_email).status_code == 303


def _review(client, response_id, decision, reason):
    page = client.get("/admin/quarantine")
    token = read_form(page.get_data(as_text=True)).hidden["csrf_token"]
    return client.post(f"/admin/quarantine?response={response_id}",
                       data={"csrf_token": token, "decision": decision, "reason": reason})


def _ward_report(app):
    """The SIPAS report of the ward for this month, as the report pages compute it."""
    with app.app_context():
        today = clock.today()
        report = reports.unit_report(SYSTEM, "sipas", "Q1-BN", periods.month(today.year,
                                                                            today.month))
        return report.result.responses, report.result.value, report.result.coverage.quarantined


def test_a_released_response_counts_in_the_index_and_a_rejected_one_never(
        client, app, demo, quarantined_ids):
    assert _counted(app) == 0
    assert _ward_report(app) == (0, None, 3)  # no data, and three answers held back
    _admin(client, app, demo)
    page = client.get("/admin/quarantine").get_data(as_text=True)
    assert "Trả lời nhanh hơn thời gian tối thiểu" in page  # the flag, in words
    first, second, third = quarantined_ids

    assert _review(client, first, "release", "").status_code == 422  # a reason is required
    response = _review(client, first, "release", "Người cao tuổi, đã xác minh tại quầy.")
    assert response.status_code == 303
    assert _counted(app) == 1
    responses, value, held = _ward_report(app)
    assert (responses, held) == (1, 2) and value is not None  # it is in the index now
    assert _review(client, first, "reject", "Nhầm").status_code == 409  # decided already
    assert _review(client, second, "reject", "Trùng lặp").status_code == 303
    assert _counted(app) == 1
    assert _ward_report(app)[::2] == (1, 1)  # rejected: neither counted nor held

    with app.app_context():
        statuses = dict(db.session.execute(sa.select(Response.id, Response.status)).all())
        assert statuses == {first: "accepted", second: "rejected", third: "quarantined"}
        # The counts after release equal a rebuild from the stored responses.
        assert rebuild() == 1
        audit = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action.like("response.%")).order_by(AuditEntry.id)).all()
        assert [(a.action, a.details["reason"]) for a in audit] == [
            ("response.release", "Người cao tuổi, đã xác minh tại quầy."),
            ("response.reject", "Trùng lặp"),
        ]
        assert all(a.user_id is not None for a in audit)
        released = db.session.get(Response, first)
        assert released.reviewed_by_id == audit[0].user_id and released.reviewed_at


def test_a_units_own_staff_cannot_see_or_decide_quarantined_answers(client, app, demo,
                                                                    quarantined_ids):
    """The list shows answers with their counter and minute: the ward's own managers would
    recognise the citizen they just served, which the survey page promises cannot happen."""
    gen_user(app, "bennghe@example.vn", "unit_manager", "Q1-BN")
    assert post_sign_in(client, "bennghe@example.vn").status_code == 303
    assert client.get("/admin/quarantine").status_code == 403
    assert "/admin/quarantine" not in client.get("/admin/alerts/").get_data(as_text=True)
    token = read_form(client.get("/admin/alerts/").get_data(as_text=True)).hidden.get(
        "csrf_token", "")
    response = client.post(f"/admin/quarantine?response={quarantined_ids[0]}",
                           data={"csrf_token": token, "decision": "release", "reason": "x"})
    assert response.status_code == 403
    assert _counted(app) == 0


def test_an_impossible_response_id_is_a_404(client, app, demo, quarantined_ids):
    _admin(client, app, demo)
    assert _review(client, 99_999_999_999, "release", "thử").status_code == 404
    assert _review(client, 999_999, "release", "thử").status_code == 404


def test_the_cli_reviews_and_forgets_old_client_hashes(runner, app, quarantined_ids):
    result = runner.invoke(args=["responses", "review", str(quarantined_ids[0]), "--release",
                                 "--reason", "Đã xác minh"])
    assert result.exit_code == 0, result.output
    assert _counted(app) == 1
    with app.app_context():
        db.session.execute(sa.update(Response).where(Response.id == quarantined_ids[0])
                           .values(submitted_at=utcnow() - timedelta(days=40)))
        db.session.commit()
    result = runner.invoke(args=["responses", "forget-clients"])
    assert result.exit_code == 0 and "1 responses" in result.output
    with app.app_context():
        hashes = dict(db.session.execute(sa.select(Response.id, Response.client_hash)).all())
        assert hashes[quarantined_ids[0]] is None
        assert all(hashes[i] for i in quarantined_ids[1:])
        # The evidence stays: flags and status are not personal data.
        assert db.session.get(Response, quarantined_ids[0]).flags == ["too_fast"]


# --- kiosks, rotated codes, short codes ---------------------------------------------------


def _new_code(app, ward_token, **columns) -> str:
    with app.app_context():
        base = db.session.scalar(sa.select(QrToken).where(QrToken.token == ward_token))
        token = "t" + uuid.uuid4().hex
        db.session.add(QrToken(token=token, counter_id=base.counter_id,
                               questionnaire_id=base.questionnaire_id, **columns))
        db.session.commit()
        return token


def test_a_kiosk_serves_citizen_after_citizen_without_the_device_checks(
        client, app, ward_token, strict):
    strict.update(SURVEY_MIN_SECONDS=0)
    kiosk = _new_code(app, ward_token, channel="kiosk")
    path = f"/k/{kiosk}"
    page = client.get(path).get_data(as_text=True)
    assert "kiosk.js" in page and 'http-equiv="refresh"' in page
    for _ in range(5):
        response = _answer(client, path, **_varied())
        assert response.status_code == 303
        thanks = client.get(response.headers["Location"]).get_data(as_text=True)
        assert f'content="8;url=/k/{kiosk}"' in thanks
    with app.app_context():
        stored = db.session.scalars(sa.select(Response)).all()
        assert [(r.channel, r.status) for r in stored] == [("kiosk", "accepted")] * 5
        assert all(r.client_hash is None for r in stored)
    # A kiosk's code is not a QR code, nor the reverse.
    assert client.get(f"/s/{kiosk}").status_code == 404
    assert client.get(f"/k/{ward_token}").status_code == 404


def test_a_rotated_code_works_through_its_grace_period_then_points_to_the_new_one(
        client, app, ward_token):
    new = _new_code(app, ward_token)
    with app.app_context():
        old = db.session.scalar(sa.select(QrToken).where(QrToken.token == ward_token))
        old.replaced_by_id = db.session.scalar(sa.select(QrToken.id).where(QrToken.token == new))
        old.expires_at = utcnow() + timedelta(days=3)
        db.session.commit()
    assert _answer(client, f"/s/{ward_token}", **_varied()).status_code == 303
    with app.app_context():
        db.session.execute(sa.update(QrToken).where(QrToken.token == ward_token)
                           .values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    expired = client.get(f"/s/{ward_token}")
    assert expired.status_code == 410
    body = expired.get_data(as_text=True)
    assert "Mã QR này đã hết hạn" in body and f'href="/s/{new}"' in body
    # Posting to it stores nothing.
    assert client.post(f"/s/{ward_token}", data={"A1": "5"}).status_code == 410
    with app.app_context():
        assert count(Response) == 1
        db.session.execute(sa.update(QrToken).where(QrToken.token == new)
                           .values(revoked_at=utcnow()))
        db.session.commit()
    # The successor revoked too: the old code is simply not valid any more.
    assert client.get(f"/s/{ward_token}").status_code == 404


def test_a_short_code_typed_by_hand_leads_to_the_survey(client, app, ward_token):
    with app.app_context():
        db.session.execute(sa.update(QrToken).where(QrToken.token == ward_token)
                           .values(short_code="K7MR2QXD"))  # stored without the dash
        db.session.commit()
    for typed in ("K7MR-2QXD", "k7mr2qxd", "K7MR 2QXD"):
        response = client.get(f"/m/{typed}")
        assert response.status_code == 302 and response.headers["Location"] == f"/s/{ward_token}"
    assert client.get("/m/XXXX-XXXX").status_code == 404
    assert client.get("/m/" + "A" * 300).status_code == 404


# --- dossier codes -------------------------------------------------------------------------


def _set_dossier_mode(app, ward_token, mode):
    with app.app_context():
        token = db.session.scalar(sa.select(QrToken).where(QrToken.token == ward_token))
        token.counter.dossier_mode = mode
        db.session.commit()


def test_a_dossier_code_is_stored_as_a_keyed_hash_and_used_once(client, app, ward_token):
    path = f"/s/{ward_token}"
    page = client.get(path).get_data(as_text=True)
    assert 'name="dossier"' in page and "(không bắt buộc)" in page
    code = "000.00.20.H29-221103-0012"
    assert _answer(client, path, dossier=f" {code.lower()} ").status_code == 303
    again = _answer(client, path, dossier=code)
    assert again.status_code == 422
    assert "Mã hồ sơ này đã được dùng" in again.get_data(as_text=True)
    malformed = _answer(client, path, dossier="??")
    assert malformed.status_code == 422
    assert "không giống mã hồ sơ" in malformed.get_data(as_text=True)
    assert _answer(client, path).status_code == 303  # optional: none given is fine
    with app.app_context():
        stored = db.session.scalars(sa.select(Response).order_by(Response.id)).all()
        assert len(stored) == 2
        assert stored[0].dossier_hash == hash_code(code) and code not in str(
            db.session.execute(sa.text("SELECT * FROM response")).all())
        assert stored[0].verified is False and stored[1].dossier_hash is None
        assert count(DossierClaim) == 1


def test_a_required_or_verified_dossier_code(client, app, ward_token, demo):
    path = f"/s/{ward_token}"
    _set_dossier_mode(app, ward_token, "required")
    missing = _answer(client, path)
    assert missing.status_code == 422
    assert "vui lòng nhập mã hồ sơ" in missing.get_data(as_text=True)

    _set_dossier_mode(app, ward_token, "verified")
    with app.app_context():
        ward = db.session.scalar(sa.select(Unit).where(Unit.code == "Q1-BN"))
        from datetime import date
        db.session.add(Dossier(code_hash=hash_code("H29-221103-0099"), unit_id=ward.id,
                               received_on=date(2026, 11, 20)))
        db.session.commit()
    unknown = _answer(client, path, dossier="H29-221103-0100")
    assert unknown.status_code == 422
    assert "không có trong danh sách hồ sơ" in unknown.get_data(as_text=True)
    assert _answer(client, path, dossier="h29-221103-0099").status_code == 303
    with app.app_context():
        (stored,) = db.session.scalars(sa.select(Response)).all()
        assert stored.verified is True


def test_a_rejected_response_gives_its_dossier_code_back(client, app, ward_token, strict):
    path = f"/s/{ward_token}"
    assert _answer(client, path, dossier="H29-221103-0077", **_varied()).status_code == 303
    client.delete_cookie("sv_device")
    with app.app_context():
        (response_id,) = db.session.scalars(sa.select(Response.id)).all()
        quarantine.review(response_id, "reject", "Quá nhanh", scope=SYSTEM, user_id=None)
        db.session.commit()
    html = client.get(path).get_data(as_text=True)
    data = filled_survey(html, "4", dossier="H29-221103-0077", **_varied())
    data["submission"] = _aged_submission(app, html, 120)
    assert client.post(path, data=data).status_code == 303
    assert [s for s, _ in _statuses(app)] == ["rejected", "accepted"]


def test_without_redis_the_counters_need_no_thread_and_forget_expired_clients(app):
    """limits' memory storage scans every key from a thread 100 times a second; ours keeps
    the same limits with an occasional inline sweep (satisfaction/intake/rate_counters.py)."""
    import threading

    from limits import parse
    from limits.strategies import MovingWindowRateLimiter

    from satisfaction.intake.rate_counters import LazyMemoryStorage

    assert isinstance(app.extensions["rate_counters"].storage, LazyMemoryStorage)
    storage = LazyMemoryStorage()
    counters = MovingWindowRateLimiter(storage)
    initial_timer = storage.timer  # created, and cancelled, by limits' own __init__
    threads = threading.active_count()
    one_second = parse("2 per 1 second")
    assert [counters.hit(one_second, "client", "a") for _ in range(3)] == [True, True, False]
    for i in range(500):
        counters.hit(one_second, "client", str(i))
    # No timer thread was started (other tests' threads may end meanwhile: at most as many).
    assert storage.timer is initial_timer and threading.active_count() <= threads
    time.sleep(1.1)
    assert counters.hit(one_second, "client", "a")  # the window moved: exact, not swept
    storage._next_sweep = 0  # the sweep is due
    counters.hit(one_second, "client", "b")
    assert set(storage.events) == {"LIMITER/client/a/2/1/second", "LIMITER/client/b/2/1/second"}


def test_with_redis_down_answers_are_still_stored(app, ward_token, clean_db, database_url):
    """A rate-limit storage that cannot be reached must not turn answers into 500s."""
    server = create_app({
        "APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": "redis://127.0.0.1:6390/0",  # nothing listens there
        **RELAXED_INTEGRITY, "SURVEY_CLIENT_LIMIT": "3 per 10 minutes",
        "SURVEY_CODE_LIMIT": "60 per 10 minutes",
    })
    try:
        assert _answer(server.test_client(), f"/s/{ward_token}", **_varied()).status_code == 303
    finally:
        with server.app_context():
            db.engine.dispose()
    assert _statuses(app) == [("accepted", None)]


def test_a_retried_post_with_a_dossier_code_thanks_and_stores_once(client, app, ward_token):
    path = f"/s/{ward_token}"
    html = client.get(path).get_data(as_text=True)
    data = filled_survey(html, "4", dossier="H29-221103-0055", **_varied())
    assert client.post(path, data=data).status_code == 303
    retry = client.post(path, data=data)  # the same form again: a flaky network
    assert retry.status_code == 303 and retry.headers["Location"] == f"{path}/thanks"
    with app.app_context():
        assert count(Response) == 1 and count(DossierClaim) == 1


def test_two_rotations_of_one_code_at_once_leave_one_successor(app, ward_token, clean_db):
    from satisfaction.qrcodes.codes import QrCodeError, rotate_code

    with app.app_context():
        token = db.session.scalar(sa.select(QrToken).where(QrToken.token == ward_token))
        winner = QrToken(token="t-winner", counter_id=token.counter_id,
                         questionnaire_id=token.questionnaire_id)
        db.session.add(winner)
        db.session.flush()
        # Another app server rotated it a moment ago; this session's copy does not know.
        db.session.execute(sa.update(QrToken).where(QrToken.id == token.id)
                           .values(replaced_by_id=winner.id)
                           .execution_options(synchronize_session=False))
        assert token.replaced_by_id is None
        with pytest.raises(QrCodeError):
            rotate_code(token, timedelta(days=7))
        db.session.rollback()


def test_an_index_owner_reviews_only_the_answers_of_its_own_indices(client, app, demo,
                                                                     quarantined_ids):
    from satisfaction.db.catalogue import IndexDefinition

    with app.app_context():
        other = db.session.scalar(sa.select(IndexDefinition).where(
            IndexDefinition.code != "sipas", IndexDefinition.owner_unit_id.is_not(None),
            IndexDefinition.owner_unit_id != db.session.scalar(sa.select(
                IndexDefinition.owner_unit_id).where(IndexDefinition.code == "sipas"))))
        db.session.add(User(email="owner@example.vn", password_hash=hash_password(PASSWORD),
                            role="index_owner", unit_id=other.owner_unit_id))
        db.session.commit()
    assert post_sign_in(client, "owner@example.vn").status_code == 303
    page = client.get("/admin/quarantine").get_data(as_text=True)
    assert f"#{quarantined_ids[0]}" not in page  # SIPAS answers: not this office's index
    assert _review(client, quarantined_ids[0], "release", "thử").status_code == 404
    assert _counted(app) == 0


def test_verified_counts_follow_submission_release_and_import(client, app, ward_token, demo,
                                                              strict):
    """The per-day counts the report reads equal a recount from the rows, whichever way an
    answer became verified and accepted."""
    from satisfaction.db.counts import DossierDayCount, VerifiedDayCount
    from satisfaction.intake.dossiers import import_dossiers

    strict.update(SURVEY_MIN_SECONDS=0, SURVEY_DEVICE_REPEAT_HOURS=0)
    path = f"/s/{ward_token}"
    with app.app_context():
        import_dossiers(b"code,unit,received_on\nH29-000001,Q1-BN,2026-11-02\n", SYSTEM,
                        skip_bad=False, user_id=None)
        db.session.commit()
    _answer(client, path, dossier="H29-000001", **_varied())  # verified at submission
    strict.update(SURVEY_MIN_SECONDS=15)
    _answer(client, path, dossier="H29-000002", **_varied())  # quarantined (too fast)
    strict.update(SURVEY_MIN_SECONDS=0)
    _answer(client, path, dossier="H29-000003", **_varied())  # verified later, by import
    with app.app_context():
        quarantined = db.session.scalar(sa.select(Response.id).where(
            Response.status == "quarantined"))
        csv = ("code,unit,received_on,returned_on\n"
               "H29-000002,Q1-BN,2026-11-03,2026-11-20\nH29-000003,Q1-BN,2026-11-04,\n")
        result = import_dossiers(csv.encode(), SYSTEM, skip_bad=False, user_id=None)
        assert (result.stored, result.verified) == (2, 2)
        quarantine.review(quarantined, "release", "Đã kiểm tra", scope=SYSTEM, user_id=None)
        db.session.commit()

        def snapshot():
            return {table.__name__: sorted(
                tuple(row) for row in db.session.execute(sa.select(*table.__table__.c)))
                for table in (VerifiedDayCount, DossierDayCount)}

        kept = snapshot()
        assert sum(row[-1] for row in kept["VerifiedDayCount"]) == 3
        assert sorted((d.isoformat(), s, n) for _, d, s, n in kept["DossierDayCount"]) == [
            ("2026-11-02", "open", 1), ("2026-11-04", "open", 1), ("2026-11-20", "returned", 1)]
        rebuild()
        assert snapshot() == kept
        db.session.rollback()
