"""Low-score alerts end to end: a real SMTP server (aiosmtpd) started by the tests."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from factories import ITEMS, gen_paper_forms, gen_user, sign_in

from satisfaction import clock
from satisfaction.db.accounts import AuditEntry, Role
from satisfaction.db.alerts import Alert, InboxEntry, Notification
from satisfaction.db.units import Unit
from satisfaction.extensions import db

TODAY = date(2026, 3, 31)


def forms(unit: str, good: int, bad: int, day: date = TODAY - timedelta(days=3)):
    """``good`` forms answering 4 everywhere, ``bad`` forms answering 2 everywhere."""
    rows = [(unit, day.isoformat(), {}) for _ in range(good)]
    rows += [(unit, day.isoformat(), {code: "2" for code in ITEMS}) for _ in range(bad)]
    return rows


def daily_forms(unit: str, per_day: int, bad_per_day: int, days: int,
                last: date = TODAY - timedelta(days=1)):
    """``per_day`` forms on each of the ``days`` days up to ``last``, ``bad_per_day`` of them
    answering 2 everywhere."""
    rows = []
    for k in range(days):
        rows += forms(unit, per_day - bad_per_day, bad_per_day, last - timedelta(days=k))
    return rows


@pytest.fixture
def wards(app, demo):
    """Bến Nghé clearly below (70 %, 10 forms a day for 30 days), Tân Định below but with
    10 forms only, Cầu Kho at target (95 %, 20 a day). The demo's SIPAS rule: 90 %, the
    index and its elements watched day by day, evidence over 30 days, n >= 30."""
    gen_paper_forms(app, daily_forms("Q1-BN", 10, 3, 30) + forms("Q1-TD", 5, 5)
                    + daily_forms("Q1-CK", 20, 1, 30))
    gen_user(app, "bn@q1.example.vn", Role.UNIT_MANAGER, "Q1-BN")
    gen_user(app, "td@q1.example.vn", Role.UNIT_MANAGER, "Q1-TD")
    gen_user(app, "vp@q1.example.vn", Role.INDEX_OWNER, "Q1-VP")
    return demo


def run_check(runner, *extra):
    result = runner.invoke(args=["alerts", "check", "--today", TODAY.isoformat(), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def alerts_by_unit(app):
    with app.app_context():
        return {a.unit.code: a for a in db.session.scalars(sa.select(Alert))}


def test_one_email_and_one_inbox_alert_after_two_runs(app, runner, wards, smtp):
    first = run_check(runner)
    second = run_check(runner)
    assert "still open" in second
    alerts = alerts_by_unit(app)
    assert "Q1-BN" in alerts
    assert "Q1-TD" not in alerts  # 10 answers: not enough data, never "below"
    assert "Q1-CK" not in alerts  # at target
    bn = alerts["Q1-BN"]
    assert bn.measure == "" and bn.value == pytest.approx(70.0)
    assert bn.low < 70 < bn.high < 90
    to_ward = [m for rcpt, m in smtp.messages if rcpt == ["bennghe@q1.example.vn"]]
    assert len(to_ward) == 1, first
    message = to_ward[0]
    assert message["Subject"] == ("[SIPAS] UBND phường Bến Nghé – Chỉ số chung: tỷ lệ hài lòng "
                                  "70,0 %, thấp hơn chỉ tiêu 90 % (02/03/2026–31/03/2026)")
    body = message.get_body(("plain",)).get_content()
    assert "- Chỉ số chung: 70,0 % (khoảng tin cậy 95 %:" in body and "chỉ tiêu 90 %" in body
    assert "Kính gửi: UBND phường Bến Nghé" in body
    assert "Đồng gửi: Văn phòng UBND Quận 1 (để theo dõi)" in body
    assert "trước ngày 14/04/2026 tại:\r\nhttps://khaosat.q1.example.vn/admin/alerts/" in body
    assert "https://khaosat.q1.example.vn/admin/reports/sipas/Q1-BN?from=" in body
    owner = [m for rcpt, m in smtp.messages if rcpt == ["vp.hdnd-ubnd@q1.example.vn"]]
    assert any("UBND phường Bến Nghé" in m["Subject"] for m in owner)
    with app.app_context():
        users = dict(db.session.execute(sa.select(InboxEntry.alert_id, sa.func.count())
                                        .group_by(InboxEntry.alert_id)).all())
        bn_inbox = db.session.scalars(sa.select(InboxEntry).join(Alert).join(Unit)
                                      .where(Unit.code == "Q1-BN")).all()
        emails = {e.alert_id for e in bn_inbox}
        assert len(emails) == 1 and users[bn.id] == 2  # the ward manager and the owner office
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "alerts.open")) == len(alerts)


def test_smtp_down_keeps_the_alert_and_sends_later(app, runner, wards, smtp):
    smtp.stop()
    output = run_check(runner)
    assert "failed (kept for a later run)" in output
    with app.app_context():
        pending = db.session.scalars(sa.select(Notification)).all()
        assert pending and all(n.status == "pending" and n.attempts == 1 for n in pending)
        assert all("Connection" in (n.last_error or "") or "refused" in (n.last_error or "")
                   for n in pending)
        # Retry is due later; make it due now, as time passing would.
        for n in pending:
            n.next_attempt_at = n.created_at
        db.session.commit()
    smtp.start()
    run_check(runner)
    to_ward = [m for rcpt, m in smtp.messages if rcpt == ["bennghe@q1.example.vn"]]
    assert len(to_ward) == 1
    run_check(runner)
    assert len([m for rcpt, m in smtp.messages if rcpt == ["bennghe@q1.example.vn"]]) == 1
    with app.app_context():
        assert all(n.status == "sent" for n in db.session.scalars(sa.select(Notification)))


def test_dry_run_changes_nothing(app, runner, wards, smtp):
    output = run_check(runner, "--dry-run")
    assert "open: rule" in output and "Q1-BN" in output
    assert alerts_by_unit(app) == {} and smtp.messages == []


def test_alert_clears_when_the_score_recovers(app, runner, wards, smtp):
    run_check(runner)
    # Later the ward answers well for three weeks: evidence that it is back at target.
    later = TODAY + timedelta(days=40)
    gen_paper_forms(app, daily_forms("Q1-BN", 10, 0, 21, later - timedelta(days=1)))
    result = runner.invoke(args=["alerts", "check", "--as-of", later.isoformat()])
    assert result.exit_code == 0, result.output
    bn = alerts_by_unit(app)["Q1-BN"]
    assert bn.state == "cleared" and bn.latest_value == pytest.approx(100.0)


def test_rule_commands_refuse_bad_configuration(runner, app, demo):
    cases = [
        (["--index", "sipas", "--target", "120", "--window", "30d", "--min-n", "30"], "target"),
        (["--index", "sipas", "--target", "90", "--window", "forever", "--min-n", "30"],
         "window"),
        (["--index", "nope", "--target", "90", "--window", "30d", "--min-n", "30"],
         "unknown index"),
        (["--index", "sipas", "--target", "90", "--window", "30d", "--min-n", "0"], "min-n"),
        (["--index", "sipas", "--target", "90", "--window", "30d", "--min-n", "30",
          "--rate", "1.5"], "false-flag"),
        (["--index", "pci", "--target", "90", "--window", "30d", "--min-n", "30"],
         "satisfaction shares"),
        (["--index", "sipas", "--target", "90", "--window", "30d", "--min-n", "30",
          "--code", "Z9"], "unknown element"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["alerts", "rule", "add", *args])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    result = runner.invoke(args=["alerts", "rule", "add", "--index", "sipas", "--target", "85",
                                 "--window", "quarter", "--min-n", "50", "--level", "element"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["alerts", "rule", "list"]).output
    assert "target 85.0%" in listing and "window quarter" in listing
    rule_id = listing.strip().splitlines()[-1].split("\t")[0]
    assert runner.invoke(args=["alerts", "rule", "remove", rule_id]).exit_code == 0
    assert "off" in runner.invoke(args=["alerts", "rule", "list"]).output.splitlines()[-1]


def test_the_loop_closed_on_the_pages(app, runner, client, wards, smtp):
    run_check(runner)
    # The ward manager sees the alert in the inbox and records the remedy.
    sign_in(client, "bn@q1.example.vn")
    inbox = client.get("/admin/inbox").get_data(as_text=True)
    assert "Phường Bến Nghé" in inbox and "Mới" in inbox
    alert_id = alerts_by_unit(app)["Q1-BN"].id
    page = client.get(f"/admin/alerts/{alert_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "70,0 %" in html and "Chỉ số chung" in html
    from helpers import read_form

    csrf = read_form(html).hidden["csrf_token"]
    # Acknowledging is its own step.
    assert client.post(f"/admin/alerts/{alert_id}/acknowledge",
                       data={"csrf_token": csrf}).status_code == 303
    assert alerts_by_unit(app)["Q1-BN"].state == "acknowledged"
    # A remedy due on a day already passed is refused, with a clear message; nothing stored.
    yesterday = clock.today() - timedelta(days=1)
    refused = client.post(f"/admin/alerts/{alert_id}", data={
        "csrf_token": csrf, "remedy": "Bố trí thêm ghế chờ", "owner": "Chủ tịch UBND phường",
        "due": yesterday.isoformat()})
    assert refused.status_code == 422 and "Ngày này đã qua" in refused.get_data(as_text=True)
    assert alerts_by_unit(app)["Q1-BN"].remedy is None
    due = clock.today() + timedelta(days=30)
    response = client.post(f"/admin/alerts/{alert_id}", data={
        "csrf_token": csrf, "remedy": "Bố trí thêm ghế chờ, tập huấn công chức",
        "owner": "Chủ tịch UBND phường", "due": due.isoformat()})
    assert response.status_code == 303
    assert "Mới" not in client.get("/admin/inbox").get_data(as_text=True)
    with app.app_context():
        alert = db.session.get(Alert, alert_id)
        assert alert.state == "acknowledged" and alert.remedy_due == due
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "alerts.remedy", AuditEntry.subject == str(alert_id))) == 1
    # The history in words, each step with who did it.
    history = client.get(f"/admin/alerts/{alert_id}").get_data(as_text=True)
    history = history[history.index('<ol class="history">'):]
    assert "kiểm tra hằng ngày" in history and "bn@q1.example.vn đã xác nhận cảnh báo" in history
    assert "bn@q1.example.vn đã ghi nhận biện pháp khắc phục" in history
    assert "alerts." not in history
    # Another ward's manager cannot open it by changing the id in the address.
    client.post("/admin/logout", data={"csrf_token": csrf})
    sign_in(client, "td@q1.example.vn")
    assert client.get(f"/admin/alerts/{alert_id}").status_code == 404
    # The owner office sees every live alert, with how long it has been open.
    client.post("/admin/logout", data={"csrf_token": read_form(
        client.get("/admin/inbox").get_data(as_text=True)).hidden["csrf_token"]})
    sign_in(client, "vp@q1.example.vn")
    listing = client.get("/admin/alerts/").get_data(as_text=True)
    assert "Phường Bến Nghé" in listing and "Đã xác nhận" in listing


def test_observer_cannot_change_alerts_or_rules(app, runner, client, wards, smtp):
    run_check(runner)
    gen_user(app, "mttq@q1.example.vn", Role.OBSERVER)
    sign_in(client, "mttq@q1.example.vn")
    alert_id = alerts_by_unit(app)["Q1-BN"].id
    from helpers import read_form

    html = client.get(f"/admin/alerts/{alert_id}").get_data(as_text=True)
    csrf = read_form(html).hidden.get("csrf_token")
    assert client.post(f"/admin/alerts/{alert_id}", data={"csrf_token": csrf, "remedy": "x",
                                                         "owner": "y", "due": "2026-04-30"}
                       ).status_code == 403
    assert client.post("/admin/alerts/rules", data={"csrf_token": csrf}).status_code == 403


def test_webhook_receives_the_alert_as_json(app, runner, wards, smtp):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["ALERT_WEBHOOK_URL"] = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        run_check(runner)
        run_check(runner)
    finally:
        server.shutdown()
        server.server_close()
        app.config["ALERT_WEBHOOK_URL"] = ""
    units = sorted(payload["unit"] for payload in received)
    assert "Q1-BN" in units and len(units) == len(set(units))  # once per alert
    bn = next(p for p in received if p["unit"] == "Q1-BN")
    assert bn["index"] == "sipas" and bn["value"] == pytest.approx(70.0) and bn["target"] == 90


def test_an_alert_walks_from_opening_to_escalation_to_recovery(app, runner, client, wards,
                                                               smtp):
    def check_on(day: date) -> str:
        result = runner.invoke(args=["alerts", "check", "--as-of", day.isoformat()])
        assert result.exit_code == 0, result.output
        return result.output

    owner = "vp.hdnd-ubnd@q1.example.vn"
    check_on(TODAY)
    assert [m["Subject"] for r, m in smtp.messages if r == [owner] and "Quá hạn" in m["Subject"]
            ] == []
    # Thirteen days later: within the rule's 14 days, nothing more.
    assert "0 escalated" in check_on(TODAY + timedelta(days=13))
    # Fifteen days without a remedy: escalated, the owner office told by its own e-mail.
    assert "1 escalated" in check_on(TODAY + timedelta(days=15))
    escalations = [m for r, m in smtp.messages if r == [owner] and "Quá hạn" in m["Subject"]]
    assert len(escalations) == 1
    assert "UBND phường Bến Nghé" in escalations[0]["Subject"]
    body = escalations[0].get_body(("plain",)).get_content()
    assert "Sau 14 ngày" in body and "chưa cập nhật biện pháp khắc phục" in body
    assert "/admin/alerts/" in body
    assert "0 escalated" in check_on(TODAY + timedelta(days=16))  # only once
    # Three weeks of good answers: the alert clears on evidence of recovery.
    later = TODAY + timedelta(days=40)
    gen_paper_forms(app, daily_forms("Q1-BN", 10, 0, 21, later - timedelta(days=1)))
    assert "clear: alert" in check_on(later)
    alert = alerts_by_unit(app)["Q1-BN"]
    assert alert.state == "cleared"
    # The alert's page tells each step in words.
    sign_in(client, "vp@q1.example.vn")
    html = client.get(f"/admin/alerts/{alert.id}").get_data(as_text=True)
    history = html[html.index('<ol class="history">'):html.index("</ol>")]
    steps = history.count("<li>")
    assert steps == 3, history
    assert "Cảnh báo do đợt kiểm tra hằng ngày đưa ra" in history
    assert "đã chuyển cơ quan chủ trì theo dõi" in history and "14 ngày" in history
    assert "Đã gỡ cảnh báo: các câu trả lời cho thấy đơn vị đã đạt lại chỉ tiêu" in history


def test_a_recent_fall_is_flagged_even_when_the_window_meets_the_target(
    app, runner, demo, smtp
):
    # Cầu Kho: 10 forms a day, all satisfied for 22 days, then 8 days at 70 %: over the
    # 30 days 92 % (meets 90 %), but the last days are far below.
    rows = daily_forms("Q1-CK", 10, 0, 22, TODAY - timedelta(days=9))
    rows += daily_forms("Q1-CK", 10, 3, 8)
    gen_paper_forms(app, rows)
    output = run_check(runner)
    assert "open: rule" in output and "Q1-CK" in output
    ck = alerts_by_unit(app)["Q1-CK"]
    assert ck.value == pytest.approx(266 / 290 * 100)  # the window: 21 days + 8
    watched = [f for f in ck.findings if f["kind"] == "sequential"]
    assert watched and all(f["statistic"] > f["threshold"] for f in watched)
    message = next(m for rcpt, m in smtp.messages if rcpt == ["caukho@q1.example.vn"])
    body = message.get_body(("plain",)).get_content()
    assert "không quá một lần trong 5 năm" in body and "thấp hơn chỉ tiêu 7 điểm" in body


def test_a_steady_unit_at_target_shows_no_decline(app, runner, demo, smtp):
    rows = []
    for days_before in (24, 17, 10, 3):
        rows += forms("Q1-CK", 190, 10, TODAY - timedelta(days=days_before))
    gen_paper_forms(app, rows)
    run_check(runner)
    assert "Q1-CK" not in alerts_by_unit(app)


def test_replay_lists_the_episodes_and_changes_nothing(app, runner, wards, smtp):
    result = runner.invoke(args=["alerts", "replay", "--from", "2026-01-01", "--to",
                                 TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Q1-BN\topened 2026-03-" in result.output and "still open" in result.output
    assert "Q1-CK" not in result.output and "Q1-TD" not in result.output
    as_json = runner.invoke(args=["alerts", "replay", "--from", "2026-01-01", "--to",
                                  TODAY.isoformat(), "--unit", "Q1-BN", "--rule", "1",
                                  "--json"])
    import json

    document = json.loads(as_json.output)
    [rule] = document["rules"]
    assert rule["units"] == 1 and [e["unit"] for e in rule["episodes"]] == ["Q1-BN"]
    assert "" in rule["episodes"][0]["measures"]  # the index itself
    assert alerts_by_unit(app) == {} and smtp.messages == []
    # The day the replay says the episode opened is the first day the check opens it.
    opened = date.fromisoformat(rule["episodes"][0]["opened"])
    assert "Q1-BN" not in run_check_on(runner, opened - timedelta(days=1))
    assert "open: rule 1 Q1-BN" in run_check_on(runner, opened)


def run_check_on(runner, day: date) -> str:
    result = runner.invoke(args=["alerts", "check", "--as-of", day.isoformat(), "--dry-run"])
    assert result.exit_code == 0, result.output
    return result.output


def test_replay_and_check_refuse_bad_arguments(app, runner, demo):
    for args, message in (
        (["replay", "--from", "2026-03-01", "--to", "2026-02-01"], "ends before it starts"),
        (["replay", "--from", "2020-01-01", "--to", "2026-02-01"], "at most"),
        (["replay", "--from", "2026-01-01", "--to", "2026-02-01", "--unit", "Q9"], "Q9"),
        (["replay", "--from", "2026-01-01", "--to", "2026-02-01", "--rule", "99"], "no rule 99"),
        (["replay", "--from", "1/1/2026", "--to", "2026-02-01"], "YYYY-MM-DD"),
        (["check", "--as-of", "yesterday"], "YYYY-MM-DD"),
    ):
        result = runner.invoke(args=["alerts", *args])
        assert result.exit_code != 0 and message in result.output, (args, result.output)


def test_a_relapse_soon_after_clearing_continues_the_episode(app, runner, wards, smtp):
    run_check(runner)
    later = TODAY + timedelta(days=40)
    gen_paper_forms(app, daily_forms("Q1-BN", 10, 0, 21, later - timedelta(days=1)))
    assert "clear: alert" in runner.invoke(args=["alerts", "check", "--as-of",
                                                 later.isoformat()]).output
    # A staff member added after the alert opened; then the ward falls again at once.
    gen_user(app, "bn2@q1.example.vn", Role.UNIT_MANAGER, "Q1-BN")
    relapse = later + timedelta(days=20)
    gen_paper_forms(app, daily_forms("Q1-BN", 10, 4, 19, relapse - timedelta(days=1)))
    output = runner.invoke(args=["alerts", "check", "--as-of", relapse.isoformat()]).output
    assert "continue: rule 1 Q1-BN" in output and "1 continued" in output
    with app.app_context():
        alerts = db.session.scalars(sa.select(Alert).join(Unit).where(Unit.code == "Q1-BN")).all()
        assert len(alerts) == 1 and alerts[0].state == "open"
        actions = db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.subject == str(alerts[0].id), AuditEntry.action.not_like("alerts.rule%"))
            .order_by(AuditEntry.id)).all()
        # Still without a remedy two months after it opened: escalated as well.
        assert actions == ["alerts.open", "alerts.clear", "alerts.reopen", "alerts.escalate"]
        inbox = db.session.scalars(sa.select(InboxEntry.user_id).where(
            InboxEntry.alert_id == alerts[0].id)).all()
        assert len(inbox) == 3  # both ward managers and the owner office
    assert len([m for rcpt, m in smtp.messages if rcpt == ["bennghe@q1.example.vn"]]) == 1


def test_the_rule_page_previews_a_rule_over_the_last_year(app, client, wards):
    from helpers import read_form

    gen_user(app, "admin2@q1.example.vn", Role.ADMIN)
    sign_in(client, "admin2@q1.example.vn")
    csrf = read_form(client.get("/admin/alerts/rules").get_data(as_text=True)).hidden[
        "csrf_token"]
    settings = {"csrf_token": csrf, "index": "sipas", "target": "90", "shift": "7",
                "years": "5", "level": "all", "code": "", "min_n": "30", "window": "30d",
                "rejoin_days": "30", "escalate_after": "14", "rate": "0.05"}
    page = client.post("/admin/alerts/rules", data={**settings, "preview": "1"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    preview = html[html.index('id="preview"'):html.index("Thêm quy tắc")]
    assert "Với quy tắc này, trong năm vừa qua" in preview
    assert "Q1-BN: bắt đầu cảnh báo " in preview and "/03/2026" in preview
    assert "Q1-CK" not in preview
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 0
        rules = db.session.scalar(sa.text("SELECT count(*) FROM alert_rule"))
    assert rules == 2  # the demo's two; the preview stored nothing
    # A stricter budget, previewed: the bad ward is still caught.
    strict = client.post("/admin/alerts/rules", data={**settings, "years": "50",
                                                      "preview": "1"})
    assert "Q1-BN" in strict.get_data(as_text=True)
    added = client.post("/admin/alerts/rules", data={**settings, "shift": "5", "add": "1"})
    assert added.status_code == 303
    with app.app_context():
        rule = db.session.scalar(sa.text("SELECT shift FROM alert_rule ORDER BY id DESC"))
    assert rule == 5


def test_answers_to_the_1001_questionnaire_open_their_own_alert(app, runner, demo, smtp):
    from factories import gen_response

    with app.app_context():
        for k in range(30):
            day = TODAY - timedelta(days=1 + k)
            for i in range(10):
                gen_response("Q1-NTB", day, questionnaire="sipas-1001",
                             value=2 if i < 4 else 5)
        db.session.commit()
    output = run_check(runner)
    assert "open: rule 2 Q1-NTB" in output  # the demo's rule on QĐ 1001
    assert "rule 1 Q1-NTB" not in output  # nothing on the QĐ 2640 series
    with app.app_context():
        alert = db.session.scalar(sa.select(Alert).join(Unit).where(Unit.code == "Q1-NTB"))
        assert alert.rule.questionnaire_code == "sipas-1001" and alert.value == pytest.approx(60)
    message = next(m for rcpt, m in smtp.messages if "Nguyễn Thái Bình" in m["Subject"])
    assert "questionnaire=sipas-1001" in message.get_body(("plain",)).get_content()


def test_an_administrator_runs_the_check_from_the_alerts_page(app, client, wards, smtp):
    """Issue 16: the alerts page was empty after `make run` although units were below
    target, because the check only ran from cron."""
    from factories import set_password
    from helpers import read_form

    reviewer = app.test_client()
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(reviewer, "reviewer@q1.example.vn")
    csrf = read_form(reviewer.get("/admin/alerts/").get_data(as_text=True)).hidden
    assert "Chạy kiểm tra ngay" not in reviewer.get("/admin/alerts/").get_data(as_text=True)
    assert reviewer.post("/admin/alerts/check", data=csrf).status_code == 403
    set_password(app, wards.admin_email)
    sign_in(client, wards.admin_email)
    page = client.get("/admin/alerts/").get_data(as_text=True)
    assert "Chạy kiểm tra ngay" in page
    response = client.post("/admin/alerts/check", data=read_form(page).hidden)
    assert response.status_code == 303
    assert "Đã kiểm tra" in client.get(response.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "alerts.check")) == 1
