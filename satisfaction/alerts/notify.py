"""Telling people about an alert: the e-mail (templates in ``templates/email``, in the
message catalogue like every page), sending it through SMTP and the optional JSON webhook,
and delivering what is due exactly once."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from satisfaction.alerts.rules import measure_label, rule_source
from satisfaction.clock import local_day, utcnow
from satisfaction.db.alerts import Alert, Notification
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.mail import send_mail
from satisfaction.qrcodes.links import absolute


def alert_link(alert: Alert) -> str:
    """The report of the alert's unit, window and questionnaire."""
    return absolute(
        f"/admin/reports/{alert.rule.index.code}/{alert.unit.code}"
        f"?from={alert.window_start.isoformat()}&to={alert.window_end.isoformat()}"
        f"&questionnaire={alert.rule.questionnaire_code}"
    )


def alert_page(alert: Alert) -> str:
    """The alert itself, where the unit acknowledges it and records its remedy."""
    return absolute(f"/admin/alerts/{alert.id}")


@dataclass(frozen=True)
class Letter:
    subject: str
    text: str
    html: str


#: Unit kinds addressed through their People's Committee (an office is addressed itself).
COMMITTEE_KINDS = {"province", "city", "district", "ward", "commune", "special_zone"}


def addressee(unit: Unit, locale: str) -> str:
    """Who a letter about ``unit`` is addressed to: "UBND phường Bến Nghé", "Văn phòng UBND
    Quận 1"; in English "People's Committee of Ben Nghe Ward"."""
    name = unit.name(locale)
    if unit.kind not in COMMITTEE_KINDS:
        return name
    if locale == "vi":
        first, _, rest = name.partition(" ")
        return f"UBND {first.lower()} {rest}".strip()
    return f"People's Committee of {name}"


def measure_name(definition, measure: str, locale: str) -> str:
    """A measure as a subject line names it: the index, "Yếu tố C", "Tiêu chí C1" (the
    statement of a criterion, a full sentence about staff, stays in the body)."""
    if not measure:
        return measure_label(definition, measure, locale)
    is_element = any(group.code == measure for group in definition.elements)
    if locale == "vi":
        return f"{'Yếu tố' if is_element else 'Tiêu chí'} {measure}"
    return f"{'Element' if is_element else 'Criterion'} {measure}"


def _statement(definition, measure: str, locale: str) -> str:
    return measure_label(definition, measure, locale).rstrip(". ")


def _deadline(alert: Alert) -> date:
    """The day by which a remedy is expected: its own due date, else the escalation day."""
    if alert.remedy_due is not None:
        return alert.remedy_due
    return local_day(alert.opened_at) + timedelta(days=alert.rule.escalate_after_days)


def _context(alert: Alert, locale: str) -> dict:
    definition = rule_source(alert.rule).definition
    owner = alert.rule.index.owner
    below = sorted((f for f in alert.findings
                    if f.get("value") is not None and f["value"] < alert.target),
                   key=lambda f: (round(f["value"], 1), len(f["measure"]), f["measure"]))
    return {
        "alert": alert, "index_code": alert.rule.index.code.upper(),
        "index_name": alert.rule.index.name(locale),
        "to": addressee(alert.unit, locale),
        "copy": owner.name(locale) if owner is not None and owner.id != alert.unit.id else None,
        "headline": measure_name(definition, alert.measure, locale),
        "measures": [{**f, "name": measure_name(definition, f["measure"], locale),
                      "statement": _statement(definition, f["measure"], locale)}
                     for f in below],
        # The window as a whole still at the target: the rule caught the recent days' fall.
        "decline_only": alert.value is not None and alert.value >= alert.target,
        "deadline": _deadline(alert), "opened_day": local_day(alert.opened_at),
        "page": alert_page(alert), "report": alert_link(alert),
        "sender": owner.name(locale) if owner is not None else None,
        "contact": current_app.config.get("ALERT_CONTACT") or (owner.email if owner else None),
        "escalation_owner": owner.name(locale) if owner is not None else None,
    }


def compose(alert: Alert, kind: str = "opened", locale: str = "vi") -> Letter:
    """The alert's e-mail (``kind`` "opened", or "escalated" to the owner office), in
    ``locale``: subject, plain text and HTML from the templates in ``templates/email``."""
    context = _context(alert, locale)
    with force_locale(locale):
        subject = render_template(f"email/{kind}_subject.txt", **context)
        text = render_template(f"email/{kind}.txt", **context)
        html = render_template(f"email/{kind}.html", **context)
    text = re.sub(r"\n{3,}", "\n\n", text.strip())
    return Letter(" ".join(subject.split()), text + "\n", html)


def send_email(notification: Notification) -> None:
    letter = compose(notification.alert, notification.kind)
    send_mail(notification.recipient, letter.subject, letter.text, html=letter.html,
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
