"""Telling people about an alert: the e-mail's words, sending it through SMTP (configured
with the names Flask-Mail users know) and the optional JSON webhook, and delivering what is
due exactly once."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from satisfaction.alerts.rules import measure_label, rule_source
from satisfaction.clock import utcnow
from satisfaction.db.alerts import Alert, Notification
from satisfaction.extensions import db
from satisfaction.mail import send_mail
from satisfaction.qrcodes.links import absolute


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def _plain(value: float) -> str:
    """7 -> "7", 2.5 -> "2,5"."""
    return f"{value:g}".replace(".", ",")


def alert_link(alert: Alert) -> str:
    return absolute(
        f"/admin/reports/{alert.rule.index.code}/{alert.unit.code}"
        f"?from={alert.window_start.isoformat()}&to={alert.window_end.isoformat()}"
        f"&questionnaire={alert.rule.questionnaire_code}"
    )


def alert_page(alert: Alert) -> str:
    return absolute(f"/admin/alerts/{alert.id}")


def compose_escalation(alert: Alert) -> tuple[str, str]:
    """Subject and body, in Vietnamese, to the owner office: the alert waited past the
    rule's delay without a remedy, or past its remedy's due date."""
    definition = rule_source(alert.rule).definition
    measure = measure_label(definition, alert.measure)
    unit = alert.unit.name("vi")
    subject = f"[Cảnh báo quá hạn] {unit}: {measure} chưa được khắc phục"
    if alert.remedy_due is not None:
        why = (f"Biện pháp khắc phục hẹn hoàn thành ngày {alert.remedy_due:%d/%m/%Y} đã quá "
               "hạn trong khi đơn vị vẫn dưới chỉ tiêu.")
    else:
        why = (f"Sau {alert.rule.escalate_after_days} ngày kể từ khi có cảnh báo "
               f"({alert.opened_at:%d/%m/%Y}), đơn vị chưa ghi nhận biện pháp khắc phục.")
    owner = alert.rule.index.owner
    body = "\n".join([
        f"Kính gửi {owner.name('vi') if owner else 'cơ quan chủ trì'},",
        "",
        f"Cảnh báo chỉ số {alert.rule.index.name('vi')} của {unit} ({measure}: "
        f"{_fmt(alert.value)}%, chỉ tiêu {_fmt(alert.target)}%) đã quá hạn và được chuyển cơ "
        "quan chủ trì theo dõi theo quy tắc cảnh báo.",
        why,
        "",
        "Đề nghị cơ quan chủ trì xem cảnh báo và đôn đốc đơn vị:",
        alert_page(alert),
        "",
        "— Hệ thống khảo sát sự hài lòng (thư tự động, xin không trả lời).",
    ])
    return subject, body


def compose(alert: Alert) -> tuple[str, str]:
    """Subject and body, in Vietnamese, naming the unit, the measure, the value with its
    interval, the target and the link to the report."""
    definition = rule_source(alert.rule).definition
    measure = measure_label(definition, alert.measure)
    unit = alert.unit.name("vi")
    subject = f"[Cảnh báo chỉ số] {unit}: {measure} dưới chỉ tiêu"
    interval = (f" (khoảng tin cậy 95%: {_fmt(alert.low)}–{_fmt(alert.high)}%)"
                if alert.low is not None else "")
    body = "\n".join([
        f"Kính gửi {unit},",
        "",
        f"Chỉ số: {alert.rule.index.name('vi')}",
        f"Nội dung: {measure}",
        f"Kết quả: {_fmt(alert.value)}%{interval}, trên {alert.n} câu trả lời",
        f"Chỉ tiêu: {_fmt(alert.target)}%",
        f"Kỳ đánh giá: từ {alert.window_start:%d/%m/%Y} đến {alert.window_end:%d/%m/%Y}",
        "",
        "Vì sao có cảnh báo: các câu trả lời của những tuần gần đây phù hợp với việc đơn vị "
        f"thấp hơn chỉ tiêu {_plain(alert.rule.shift)} điểm hơn rất nhiều so với việc đạt chỉ "
        "tiêu. Một đơn vị đạt đúng chỉ tiêu nhận cảnh báo như vậy không quá một lần trong "
        f"{_plain(alert.rule.years_per_false_alert)} năm. Cảnh báo chỉ kết thúc khi các câu trả "
        "lời cho thấy đơn vị đã trở lại chỉ tiêu.",
        "",
        "Các nội dung thấp hơn chỉ tiêu (thấp nhất trước):",
        *(f"- {measure_label(definition, f['measure'])}: {_fmt(f['value'])}% "
          f"({f['n']} câu trả lời)" for f in alert.findings),
        "",
        "Đề nghị đơn vị xem báo cáo, xác nhận cảnh báo và ghi nhận biện pháp khắc phục:",
        alert_link(alert),
        "",
        "— Hệ thống khảo sát sự hài lòng (thư tự động, xin không trả lời).",
    ])
    return subject, body


def send_email(notification: Notification) -> None:
    subject, body = (compose_escalation(notification.alert) if notification.kind == "escalated"
                     else compose(notification.alert))
    send_mail(notification.recipient, subject, body,
              idstring=f"alert-{notification.alert_id}-{notification.kind}")


def send_webhook(notification: Notification) -> None:
    alert = notification.alert
    payload = {
        "alert": alert.id, "kind": notification.kind, "index": alert.rule.index.code,
        "unit": alert.unit.code,
        "measure": alert.measure or None, "value": alert.value, "low": alert.low,
        "high": alert.high, "n": alert.n, "target": alert.target,
        "from": alert.window_start.isoformat(), "to": alert.window_end.isoformat(),
        "link": alert_link(alert),
    }
    request = urllib.request.Request(
        notification.recipient, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status >= 300:
            raise RuntimeError(f"webhook answered {response.status}")


SENDERS = {"email": send_email, "webhook": send_webhook}


Sender = Callable[[Notification], None]


def deliver_due(send: dict[str, Sender], now: datetime | None = None,
                stale_after: timedelta = timedelta(minutes=30)) -> tuple[int, int]:
    """Send every notification that is due, one at a time, committing around each send.

    A notification is claimed (pending -> sending) in its own committed step before the
    send, so two checks never send it twice; a failure puts it back to pending with a later
    attempt time, so nothing is lost. Returns (sent, failed).
    """
    now = now or utcnow()
    sent = failed = 0
    due = db.session.scalars(sa.select(Notification.id).where(
        sa.or_(sa.and_(Notification.status == "pending", Notification.next_attempt_at <= now),
               sa.and_(Notification.status == "sending",
                       Notification.claimed_at < now - stale_after)),
    ).order_by(Notification.id)).all()
    db.session.commit()
    for notification_id in due:
        claimed = db.session.execute(
            sa.update(Notification)
            .where(Notification.id == notification_id,
                   sa.or_(Notification.status == "pending",
                          sa.and_(Notification.status == "sending",
                                  Notification.claimed_at < now - stale_after)))
            .values(status="sending", claimed_at=utcnow())
        ).rowcount
        db.session.commit()
        if not claimed:
            continue
        notification = db.session.get(Notification, notification_id)
        try:
            send[notification.channel](notification)
        except Exception as exc:  # noqa: BLE001 - any failure is retried later, never lost
            notification.status = "pending"
            notification.attempts += 1
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            delay = min(2 ** notification.attempts, 360)
            notification.next_attempt_at = utcnow() + timedelta(minutes=delay)
            failed += 1
        else:
            notification.status = "sent"
            notification.attempts += 1
            notification.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent, failed
