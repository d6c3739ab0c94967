"""Low-score alerts: evaluate the rules, open and clear alerts, and tell people.

A flag is evidence, not noise: a measure is tested only with at least ``min_n`` answers,
the one-sided test's p-values of every unit and measure of a rule are adjusted together
(Benjamini–Hochberg at the rule's false-flag rate), and a live alert exists at most once
per rule, unit and measure (a partial unique index), so a check run from cron every few
minutes never opens a second alert or sends a second message.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from satisfaction import clock
from satisfaction.catalogue.lookup import source_of
from satisfaction.clock import utcnow
from satisfaction.counts.tallies import tally
from satisfaction.db.accounts import AuditEntry, Role, User
from satisfaction.db.alerts import Alert, AlertRule, AlertState, InboxEntry, Notification
from satisfaction.db.catalogue import IndexDefinition
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.indices import periods, respondents, statistics
from satisfaction.indices.measures import assess_measure
from satisfaction.indices.questionnaires import Definition
from satisfaction.units.tree import subtrees

LEVELS = ("overall", "element", "criterion", "all")


class RuleError(ValueError):
    """A rule that cannot be evaluated or saved; the message says why."""


def parse_window(text: str) -> tuple[str, int | None]:
    """``30d`` -> ("days", 30); ``month``, ``quarter``, ``year`` -> the current one so far."""
    text = (text or "").strip().lower()
    if text.endswith("d") and text[:-1].isdigit():
        days = int(text[:-1])
        if not 1 <= days <= 3660:
            raise RuleError("window: between 1d and 3660d")
        return "days", days
    if text in ("month", "quarter", "year"):
        return text, None
    raise RuleError("window: a number of days such as 30d, or month, quarter, year")


def window_of(rule: AlertRule, today: date) -> periods.Period:
    if rule.window_kind == "days":
        return periods.Period(today - timedelta(days=rule.window_days - 1), today)
    if rule.window_kind == "month":
        return periods.Period(today.replace(day=1), today)
    if rule.window_kind == "quarter":
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return periods.Period(first, today)
    return periods.Period(date(today.year, 1, 1), today)


def add_rule(*, index_code: str, target: float, window: str, min_n: int,
             false_flag_rate: float = 0.05, level: str = "all", code: str | None = None,
             notify_unit: bool = True, notify_owner: bool = True,
             user_id: int | None = None) -> AlertRule:
    """Validate and add a rule; raises RuleError with a clear message."""
    index = db.session.scalar(sa.select(IndexDefinition).where(IndexDefinition.code == index_code))
    if index is None:
        raise RuleError(f"unknown index {index_code!r}")
    if index.method != "top_two_box":
        raise RuleError(f"alerts test satisfaction shares; {index_code} is scored by "
                        f"{index.method}")
    if not 0 <= target <= 100:
        raise RuleError("target: a percentage from 0 to 100")
    if min_n < 1:
        raise RuleError("min-n: at least 1")
    if not 0 < false_flag_rate < 1:
        raise RuleError("false-flag rate: between 0 and 1, e.g. 0.05")
    if level not in LEVELS:
        raise RuleError(f"level: one of {', '.join(LEVELS)}")
    kind, days = parse_window(window)
    source = source_of(index)
    if code is not None:
        known = {g.code for g in source.definition.elements} | {
            i.code for i in source.definition.scored_items()}
        if code not in known:
            raise RuleError(f"unknown element or criterion {code!r} in {index_code}")
    rule = AlertRule(index_id=index.id, target=target, window_kind=kind, window_days=days,
                     min_n=min_n, false_flag_rate=false_flag_rate, level=level, code=code,
                     notify_unit=notify_unit, notify_owner=notify_owner)
    db.session.add(rule)
    db.session.flush()
    db.session.add(AuditEntry(user_id=user_id, action="alerts.rule.add", subject=str(rule.id),
                              details={"index": index_code, "target": target, "window": window,
                                       "min_n": min_n, "rate": false_flag_rate,
                                       "level": level, "code": code}))
    return rule


@dataclass(frozen=True)
class Measure:
    code: str            # "" for the index
    kind: str            # overall / element / criterion


def measures_of(rule: AlertRule, definition: Definition) -> list[Measure]:
    result = []
    if rule.level in ("overall", "all") and rule.code is None:
        result.append(Measure("", "overall"))
    for group in definition.elements:
        if rule.level in ("element", "all") and rule.code in (None, group.code):
            result.append(Measure(group.code, "element"))
        for item in group.items:
            if rule.level in ("criterion", "all") and rule.code in (None, item.code):
                result.append(Measure(item.code, "criterion"))
    return result


def measure_label(definition: Definition, measure: str, locale: str = "vi") -> str:
    if not measure:
        return {"vi": "Chỉ số chung", "en": "Overall index"}[locale]
    for group in definition.elements:
        if group.code == measure:
            return group.label[locale]
    return definition.item(measure).text[locale]


@dataclass
class Finding:
    unit: Unit
    measure: str
    assessment: statistics.Assessment
    n: int


#: The sustained-decline check: a CUSUM over weeks of the respondents' index shares, from
#: the target p0 to p0 - DECLINE_SHIFT; it alarms above DECLINE_H + ln(number of units), so
#: watching many units does not multiply false alarms (about e^h quiet weeks per alarm).
DECLINE_SHIFT = 0.05
DECLINE_H = 4.0


def weekly_shares(rule: AlertRule, window: periods.Period, unit_ids) -> dict[int, dict[int, list]]:
    """Per unit and week (0 = the oldest full week of the window, ending on its last day):
    [sum of respondents' index shares, respondents], from two count rows per unit and day."""
    from satisfaction.db.counts import DailyCount

    source = source_of(rule.index)
    weeks = window.days // 7
    first = window.end - timedelta(days=7 * weeks - 1)
    result: dict[int, dict[int, list]] = {}
    if weeks < 2:
        return result
    for unit_id, day, value, n in db.session.execute(
        sa.select(DailyCount.unit_id, DailyCount.day, DailyCount.value,
                  sa.func.sum(DailyCount.count))
        .where(DailyCount.questionnaire_version_id.in_(source.version_ids),
               DailyCount.item_code == respondents.SHARE_SUM,
               DailyCount.unit_id.in_(list(unit_ids)),
               DailyCount.day.between(first, window.end))
        .group_by(DailyCount.unit_id, DailyCount.day, DailyCount.value)
    ):
        week = (day - first).days // 7
        bucket = result.setdefault(unit_id, {}).setdefault(week, [0.0, 0])
        if value == 1:
            bucket[0] += int(n) / 1000
        else:
            bucket[1] += int(n)
    return result


def sustained_decline(rule: AlertRule, window: periods.Period, subtree, shares,
                      units_watched: int) -> dict | None:
    """The CUSUM evidence when a unit's weekly shares declined below the target."""
    weeks = window.days // 7
    if weeks < 2:
        return None
    series = []
    for week in range(weeks):
        total, n = 0.0, 0
        for unit_id in subtree:
            s, c = shares.get(unit_id, {}).get(week, (0.0, 0))
            total, n = total + s, n + c
        series.append((min(round(total), n), n))
    if sum(n for _, n in series) < rule.min_n:
        return None
    h = DECLINE_H + math.log(max(units_watched, 1))
    target = rule.target / 100
    if target - DECLINE_SHIFT <= 0 or target >= 1:
        return None
    result = statistics.cusum_below(series, target, DECLINE_SHIFT, h)
    if result.alarm_at is None:
        return None
    return {"measure": "", "kind": "decline", "weeks": [
        {"share": None if n == 0 else s / n * 100, "n": n} for s, n in series],
        "statistic": result.statistics[-1], "threshold": h}


def evaluate(rule: AlertRule, today: date) -> tuple[periods.Period, list[Finding], dict]:
    """Every unit's measures under the rule, with BH-adjusted states."""
    source = source_of(rule.index)
    window = window_of(rule, today)
    units = [u for u in db.session.scalars(sa.select(Unit).order_by(Unit.code))
             if u.valid_from <= window.end and (u.valid_to is None or u.valid_to >= window.start)]
    every = db.session.scalars(sa.select(Unit)).all()
    below = subtrees(every)
    tallies = tally(source.version_ids, [u.id for u in every], window)
    measures = measures_of(rule, source.definition)
    target = rule.target / 100
    findings = []
    for unit in units:
        counts, _responses = tallies.counts(below[unit.id])
        for measure in measures:
            assessment, n = assess_measure(source.definition, measure.code, counts, target,
                                            rule.min_n)
            findings.append(Finding(unit, measure.code, assessment, n))
    adjusted = statistics.assess_many([f.assessment for f in findings], rule.false_flag_rate)
    for finding, assessment in zip(findings, adjusted, strict=True):
        finding.assessment = assessment
    declines = {}
    if rule.level in ("overall", "all") and rule.code is None:
        shares = weekly_shares(rule, window, [u.id for u in every])
        for unit in units:
            decline = sustained_decline(rule, window, below[unit.id], shares, len(units))
            if decline is not None:
                declines[unit.id] = decline
    return window, findings, declines


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def _evidence(finding: Finding) -> dict:
    a = finding.assessment
    return {
        "measure": finding.measure, "value": _percent(a.value), "n": finding.n,
        "low": _percent(a.interval.low if a.interval else None),
        "high": _percent(a.interval.high if a.interval else None),
        "p": a.p_value, "adjusted_p": a.adjusted_p,
    }


@dataclass
class CheckReport:
    opened: list[Alert] = field(default_factory=list)
    cleared: list[Alert] = field(default_factory=list)
    still_open: int = 0
    escalated: int = 0
    lines: list[str] = field(default_factory=list)


def _recipients(alert: Alert, rule: AlertRule) -> list[tuple[str, str]]:
    from flask import current_app

    result = []
    if rule.notify_unit and alert.unit.email:
        result.append(("email", alert.unit.email))
    owner = rule.index.owner
    if rule.notify_owner and owner is not None and owner.email:
        result.append(("email", owner.email))
    webhook = current_app.config.get("ALERT_WEBHOOK_URL")
    if webhook:
        result.append(("webhook", webhook))
    return list(dict.fromkeys(result))


def _inbox_users(alert: Alert, rule: AlertRule) -> list[int]:
    ancestors, unit = set(), alert.unit
    while unit is not None:
        ancestors.add(unit.id)
        unit = unit.parent
    managers = sa.and_(User.role == Role.UNIT_MANAGER.value, User.unit_id.in_(ancestors))
    owners = sa.and_(User.role == Role.INDEX_OWNER.value,
                     User.unit_id == rule.index.owner_unit_id)
    return list(db.session.scalars(
        sa.select(User.id).where(User.is_active.is_(True), sa.or_(managers, owners))))


def check(today: date | None = None, *, dry_run: bool = False) -> CheckReport:
    """Evaluate every active rule, open and clear alerts, queue their notifications.

    Safe to run often: a live alert is never opened twice (also under concurrent runs, by
    the unique index), and notifications are unique per alert and recipient.
    """
    today = today or clock.today()
    now = utcnow()
    report = CheckReport()
    rules = db.session.scalars(sa.select(AlertRule).where(AlertRule.is_active.is_(True))
                               .order_by(AlertRule.id)).all()
    for rule in rules:
        window, findings, declines = evaluate(rule, today)
        live = {
            a.unit_id: a
            for a in db.session.scalars(sa.select(Alert).where(
                Alert.rule_id == rule.id, Alert.state != AlertState.CLEARED.value))
        }
        by_unit: dict[int, list[Finding]] = {}
        for finding in findings:
            by_unit.setdefault(finding.unit.id, []).append(finding)
        for unit_findings in by_unit.values():
            unit = unit_findings[0].unit
            flagged = [f for f in unit_findings if f.assessment.state == "below"]
            decline = declines.get(unit.id)
            alert = live.get(unit.id)
            current = {f.measure: f for f in unit_findings}
            if alert is not None:
                headline = current.get(alert.measure)
                alert.latest_value = _percent(headline.assessment.value) if headline else None
                alert.latest_at = now
            if flagged or decline:
                # The index itself when it is below, else the lowest measure found below
                # (for a decline alone: the index, whatever its state over the window).
                top = next((f for f in flagged if f.measure == ""), None) or (min(
                    flagged, key=lambda f: (f.assessment.value, f.measure)) if flagged else
                    current[""])
                evidence = [_evidence(f) for f in flagged] + ([decline] if decline else [])
                if alert is not None:
                    alert.findings = evidence
                    report.still_open += 1
                    continue
                a = top.assessment
                report.lines.append(
                    f"open: rule {rule.id} {unit.code} {len(flagged)} measure(s) below "
                    f"{rule.target}%{', sustained decline' if decline else ''}, e.g. "
                    f"{top.measure or 'index'} {_percent(a.value):.1f}% (n={top.n}"
                    + (f", adjusted p={a.adjusted_p:.2g})" if a.adjusted_p is not None else ")"))
                if dry_run:
                    continue
                alert = Alert(
                    rule_id=rule.id, unit_id=unit.id, measure=top.measure, findings=evidence,
                    window_start=window.start, window_end=window.end,
                    value=_percent(a.value), low=_percent(a.interval.low if a.interval else None),
                    high=_percent(a.interval.high if a.interval else None), n=top.n,
                    p_value=a.p_value, adjusted_p=a.adjusted_p, target=rule.target,
                    latest_value=_percent(a.value), latest_at=now,
                )
                # A concurrent check that opened the same alert makes this flush fail on the
                # unique index; the CLI then rolls back this whole run.
                db.session.add(alert)
                db.session.flush()
                alert.rule, alert.unit = rule, unit
                for channel, recipient in _recipients(alert, rule):
                    db.session.add(Notification(alert_id=alert.id, channel=channel,
                                                recipient=recipient))
                for user_id in _inbox_users(alert, rule):
                    db.session.add(InboxEntry(user_id=user_id, alert_id=alert.id))
                db.session.add(AuditEntry(action="alerts.open", subject=str(alert.id), details={
                    "rule": rule.id, "unit": unit.code, "measures": [f.measure for f in flagged],
                    "decline": decline is not None}))
                report.opened.append(alert)
            elif alert is not None:
                headline = current.get(alert.measure)
                if headline is None or headline.assessment.state == "not_enough_data":
                    continue  # cannot tell yet: keep it open
                report.lines.append(f"clear: alert {alert.id} {unit.code} now "
                                    f"{_percent(headline.assessment.value):.1f}%")
                if dry_run:
                    continue
                alert.state = AlertState.CLEARED.value
                alert.cleared_at = now
                db.session.add(AuditEntry(action="alerts.clear", subject=str(alert.id)))
                report.cleared.append(alert)
        if not dry_run:
            report.escalated += escalate(rule, now)
    return report


def escalate(rule: AlertRule, now: datetime) -> int:
    """Live alerts without a recorded remedy after the rule's delay, or past their remedy's
    due date, are escalated to the index owner office (shown first on its page)."""
    limit = now - timedelta(days=rule.escalate_after_days)
    today = clock.local_day(now)
    overdue = db.session.scalars(sa.select(Alert).where(
        Alert.rule_id == rule.id, Alert.state != AlertState.CLEARED.value,
        Alert.escalated_at.is_(None),
        sa.or_(sa.and_(Alert.remedy.is_(None), Alert.opened_at <= limit),
               Alert.remedy_due < today),
    )).all()
    for alert in overdue:
        alert.escalated_at = now
        db.session.add(AuditEntry(action="alerts.escalate", subject=str(alert.id)))
    return len(overdue)


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


def unread_count(user_id: int) -> int:
    """Alerts in the user's inbox not yet opened."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(InboxEntry).where(
        InboxEntry.user_id == user_id, InboxEntry.read_at.is_(None)))
