"""The check: run the rules' sequential watch, open, continue and clear alerts, queue who is
told.

A flag is evidence, not noise, and a ward's own false-alert rate is bounded over time, not
per run: each unit's daily answers feed the CUSUM of ``indices.sequential`` (the budget: at
most one false alert in the rule's number of years for a unit at target), an alert clears
only on evidence of recovery, and one re-opened within the rule's ``rejoin_days`` continues
the same episode without a second message. A live alert exists at most once per rule and
unit (a partial unique index), so a check run from cron every few minutes never opens a
second alert or sends a second message. The values shown with an alert are the rule's
window (e.g. the last 30 days): value, interval and answers of each measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from satisfaction import clock
from satisfaction.alerts.rules import measures_of, rule_source, window_of
from satisfaction.alerts.watch import LOOKBACK_DAYS, Watch, watch_units
from satisfaction.clock import utcnow
from satisfaction.counts.tallies import tally
from satisfaction.db.accounts import AuditEntry, Role, User
from satisfaction.db.alerts import Alert, AlertRule, AlertState, InboxEntry, Notification
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.indices import periods, statistics
from satisfaction.indices.measures import assess_measure
from satisfaction.units.tree import subtrees


@dataclass
class Finding:
    unit: Unit
    measure: str
    assessment: statistics.Assessment
    n: int


def units_judged(day: date) -> tuple[list[Unit], list[Unit]]:
    """(the units in force on ``day``, every unit). A ward merged away is not judged any
    more: its successor is, on its own answers and its own target."""
    every = db.session.scalars(sa.select(Unit).order_by(Unit.code)).all()
    return [u for u in every if u.is_active_on(day)], list(every)


def evaluate(rule: AlertRule, window: periods.Period, units: list[Unit],
             every: list[Unit]) -> dict[int, list[Finding]]:
    """The measures of ``units`` over the rule's window: the evidence shown with an alert."""
    if not units:
        return {}
    source = rule_source(rule)
    below = subtrees(every)
    needed = set().union(*(below[unit.id] for unit in units))
    tallies = tally(source.version_ids, needed, window, by_month=False)
    measures = measures_of(rule, source.definition)
    target = rule.target / 100
    findings: dict[int, list[Finding]] = {}
    for unit in units:
        counts, _responses = tallies.counts(below[unit.id])
        findings[unit.id] = [
            Finding(unit, measure.code, *assess_measure(source.definition, measure.code, counts,
                                                        target, rule.min_n))
            for measure in measures]
    return findings


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def _evidence(finding: Finding, watch: Watch | None = None, row: int = 0) -> dict:
    a = finding.assessment
    evidence = {
        "measure": finding.measure, "value": _percent(a.value), "n": finding.n,
        "low": _percent(a.interval.low if a.interval else None),
        "high": _percent(a.interval.high if a.interval else None),
        "p": a.p_value, "kind": "window",
    }
    if watch is not None:
        column = next(i for i, m in enumerate(watch.measures) if m.code == finding.measure)
        evidence.update(kind="sequential", statistic=float(watch.statistic[row, column]),
                        threshold=watch.design.threshold)
    return evidence


@dataclass
class CheckReport:
    opened: list[Alert] = field(default_factory=list)
    reopened: list[Alert] = field(default_factory=list)
    cleared: list[Alert] = field(default_factory=list)
    still_open: int = 0
    escalated: int = 0
    lines: list[str] = field(default_factory=list)


def _recipients(alert: Alert, rule: AlertRule) -> list[tuple[str, str]]:
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
    """Run every active rule as of ``today``: open, continue and clear alerts, queue their
    notifications, escalate what waited too long.

    Safe to run often: a live alert is never opened twice (also under concurrent runs, by
    the unique index), and notifications are unique per alert and recipient.
    """
    today = today or clock.today()
    # A check as of a past day stamps what it does at that day's end, so that its delays
    # (escalation, episodes) count as they would have then.
    now = min(utcnow(), clock.local_bounds(today, today)[1].astimezone(UTC))
    report = CheckReport()
    rules = db.session.scalars(sa.select(AlertRule).where(AlertRule.is_active.is_(True))
                               .order_by(AlertRule.id)).all()
    units, every = units_judged(today)
    for rule in rules:
        window = window_of(rule, today)
        watch = watch_units(rule, today - timedelta(days=LOOKBACK_DAYS - 1), today, units,
                            every)
        live = {
            a.unit_id: a
            for a in db.session.scalars(sa.select(Alert).where(
                Alert.rule_id == rule.id, Alert.state != AlertState.CLEARED.value))
        }
        # The window's evidence is needed only where an alert opens, goes on or may clear.
        concerned = [(row, unit) for row, unit in enumerate(watch.units)
                     if unit.id in live or watch.watched[row, :, -1].any()]
        findings = evaluate(rule, window, [unit for _, unit in concerned], every)
        for row, unit in concerned:
            _update_unit(_UnitCheck(rule, window, findings[unit.id], watch, row,
                                    live.get(unit.id), now, dry_run), report)
        judged = {u.id for u in units}
        for unit_id, alert in live.items():
            if unit_id not in judged and alert.unit.valid_to is not None \
                    and alert.unit.valid_to < today:
                _close_ended(alert, now, report, dry_run)
        if not dry_run:
            report.escalated += escalate(rule, now)
    return report


@dataclass(frozen=True)
class _UnitCheck:
    """One unit under one rule in one check: its window's findings, its watch, its alert."""

    rule: AlertRule
    window: periods.Period
    findings: list[Finding]
    watch: Watch
    row: int
    alert: Alert | None
    now: datetime
    dry_run: bool

    @property
    def unit(self) -> Unit:
        return self.watch.units[self.row]

    @property
    def alerting(self) -> list[Finding]:
        codes = set(self.watch.alerting_measures(self.row))
        return [f for f in self.findings if f.measure in codes]

    def finding(self, measure: str) -> Finding | None:
        return {f.measure: f for f in self.findings}.get(measure)

    def evidence(self) -> list[dict]:
        """The measures in alert, then the window's criteria below target (lowest first)."""
        alerting = self.alerting
        codes = {f.measure for f in alerting}
        target = self.rule.target / 100
        lower = [f for f in self.findings if f.measure not in codes
                 and f.assessment.state != "not_enough_data"
                 and f.assessment.value is not None and f.assessment.value < target]
        watched = [_evidence(f, self.watch, self.row) for f in alerting]
        return sorted(watched, key=_lowest) + sorted(map(_evidence, lower), key=_lowest)


def _lowest(evidence: dict) -> tuple[float, str]:
    value = evidence["value"]
    return (float("inf") if value is None else value, evidence["measure"])


def _update_unit(unit_check: _UnitCheck, report: CheckReport) -> None:
    """Refresh the unit's live alert, open (or continue) one, or clear it."""
    alert = unit_check.alert
    if alert is not None:
        headline = unit_check.finding(alert.measure)
        alert.latest_value = _percent(headline.assessment.value) if headline else None
        alert.latest_at = unit_check.now
    if unit_check.alerting:
        if alert is not None:
            if not unit_check.dry_run:
                alert.findings = unit_check.evidence()
                _deliver_to_inboxes(alert, unit_check.rule)
            report.still_open += 1
            return
        _open(unit_check, report)
    elif alert is not None:
        _clear(unit_check, report)


def _open(unit_check: _UnitCheck, report: CheckReport) -> None:
    rule, unit, alerting = unit_check.rule, unit_check.unit, unit_check.alerting
    # The index itself when it is in alert, else the lowest measure in alert.
    top = next((f for f in alerting if f.measure == ""), None) or min(
        alerting, key=lambda f: (f.assessment.value if f.assessment.value is not None
                                 else float("inf"), f.measure))
    a = top.assessment
    value = "no answers in the window" if a.value is None else f"{_percent(a.value):.1f}%"
    earlier = _recent_episode(rule, unit, unit_check.now)
    report.lines.append(
        f"{'continue' if earlier else 'open'}: rule {rule.id} {unit.code} "
        f"{len(alerting)} measure(s) below {rule.target}%, e.g. "
        f"{top.measure or 'index'} {value} (n={top.n} over {rule.window_label})")
    if unit_check.dry_run:
        return
    evidence = unit_check.evidence()
    if earlier is not None:
        _continue(earlier, unit_check, top, evidence, report)
        return
    alert = Alert(
        rule_id=rule.id, unit_id=unit.id, measure=top.measure, findings=evidence,
        window_start=unit_check.window.start, window_end=unit_check.window.end,
        value=_percent(a.value),
        low=_percent(a.interval.low if a.interval else None),
        high=_percent(a.interval.high if a.interval else None), n=top.n,
        p_value=a.p_value, adjusted_p=None, target=rule.target,
        latest_value=_percent(a.value), latest_at=unit_check.now, opened_at=unit_check.now,
    )
    # A concurrent check that opened the same alert makes this flush fail on the unique
    # index; the CLI then rolls back this whole run.
    db.session.add(alert)
    db.session.flush()
    alert.rule, alert.unit = rule, unit
    for channel, recipient in _recipients(alert, rule):
        db.session.add(Notification(alert_id=alert.id, channel=channel, recipient=recipient))
    _deliver_to_inboxes(alert, rule)
    db.session.add(AuditEntry(action="alerts.open", subject=str(alert.id), details={
        "rule": rule.id, "unit": unit.code, "measures": [f.measure for f in alerting]}))
    report.opened.append(alert)


def _recent_episode(rule: AlertRule, unit: Unit, now: datetime) -> Alert | None:
    """The unit's alert under this rule cleared within the rule's ``rejoin_days``: a new
    flag continues it."""
    since = now - timedelta(days=rule.rejoin_days)
    return db.session.scalar(sa.select(Alert).where(
        Alert.rule_id == rule.id, Alert.unit_id == unit.id,
        Alert.state == AlertState.CLEARED.value, Alert.cleared_at >= since)
        .order_by(Alert.cleared_at.desc()).limit(1))


def _continue(alert: Alert, unit_check: _UnitCheck, top: Finding, evidence: list[dict],
              report: CheckReport) -> None:
    """The same episode goes on: no new message (the notifications are unique per alert)."""
    alert.state = AlertState.OPEN.value
    alert.cleared_at = None
    alert.findings = evidence
    alert.latest_value = _percent(top.assessment.value)
    alert.latest_at = unit_check.now
    db.session.flush()
    _deliver_to_inboxes(alert, unit_check.rule)
    db.session.add(AuditEntry(action="alerts.reopen", subject=str(alert.id), details={
        "measures": [f.measure for f in unit_check.alerting]}))
    report.reopened.append(alert)


def _deliver_to_inboxes(alert: Alert, rule: AlertRule) -> None:
    """Every user who should see the alert has it in their inbox, also those added after it
    opened."""
    have = set(db.session.scalars(sa.select(InboxEntry.user_id)
                                  .where(InboxEntry.alert_id == alert.id)))
    for user_id in _inbox_users(alert, rule):
        if user_id not in have:
            db.session.add(InboxEntry(user_id=user_id, alert_id=alert.id))


def _close_ended(alert: Alert, now: datetime, report: CheckReport, dry_run: bool) -> None:
    """A live alert of a unit that no longer exists (a merger) is closed: its successor is
    judged on its own answers and its own target."""
    report.lines.append(f"clear: alert {alert.id} {alert.unit.code} ended on "
                        f"{alert.unit.valid_to}")
    if dry_run:
        return
    alert.state = AlertState.CLEARED.value
    alert.cleared_at = now
    db.session.add(AuditEntry(action="alerts.clear", subject=str(alert.id),
                              details={"reason": "unit_ended"}))
    report.cleared.append(alert)


def _clear(unit_check: _UnitCheck, report: CheckReport) -> None:
    """The watch has left the alert (on evidence of recovery, or it saw no alarm in its
    year); with too few answers in the window to tell, the alert stays open."""
    alert = unit_check.alert
    headline = unit_check.finding(alert.measure)
    if headline is None or headline.assessment.state == "not_enough_data":
        return
    report.lines.append(f"clear: alert {alert.id} {unit_check.unit.code} now "
                        f"{_percent(headline.assessment.value):.1f}%")
    if unit_check.dry_run:
        return
    alert.state = AlertState.CLEARED.value
    alert.cleared_at = unit_check.now
    db.session.add(AuditEntry(action="alerts.clear", subject=str(alert.id)))
    report.cleared.append(alert)


def escalate(rule: AlertRule, now: datetime) -> int:
    """Live alerts without a recorded remedy ``escalate_after_days`` after opening, or past
    their remedy's due date, are escalated: the owner office is told by its own message (and
    the webhook), and the alert is shown first on the offices' list."""
    limit = now - timedelta(days=rule.escalate_after_days)
    today = clock.local_day(now)
    overdue = db.session.scalars(sa.select(Alert).where(
        Alert.rule_id == rule.id, Alert.state != AlertState.CLEARED.value,
        Alert.escalated_at.is_(None),
        sa.or_(sa.and_(Alert.remedy.is_(None), Alert.opened_at <= limit),
               Alert.remedy_due < today),
    )).all()
    owner = rule.index.owner
    webhook = current_app.config.get("ALERT_WEBHOOK_URL")
    for alert in overdue:
        alert.escalated_at = now
        reason = "past_due" if alert.remedy_due is not None and alert.remedy_due < today \
            else "no_remedy"
        db.session.add(AuditEntry(action="alerts.escalate", subject=str(alert.id),
                                  details={"reason": reason,
                                           "after_days": rule.escalate_after_days}))
        recipients = ([("email", owner.email)] if owner is not None and owner.email else []) \
            + ([("webhook", webhook)] if webhook else [])
        for channel, recipient in recipients:
            db.session.add(Notification(alert_id=alert.id, kind="escalated", channel=channel,
                                        recipient=recipient))
    return len(overdue)
