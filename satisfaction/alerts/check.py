"""The check: evaluate the rules, open and clear alerts, queue who is told.

A flag is evidence, not noise: a measure is tested only with at least ``min_n`` answers,
the one-sided test's p-values of every unit and measure of a rule are adjusted together
(Benjamini–Hochberg at the rule's false-flag rate), and a live alert exists at most once
per rule and unit (a partial unique index), so a check run from cron every few minutes
never opens a second alert or sends a second message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from satisfaction import clock
from satisfaction.alerts.rules import measures_of, window_of
from satisfaction.catalogue.lookup import source_of
from satisfaction.clock import utcnow
from satisfaction.counts.tallies import respondent_shares_by_week, tally
from satisfaction.db.accounts import AuditEntry, Role, User
from satisfaction.db.alerts import Alert, AlertRule, AlertState, InboxEntry, Notification
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.indices import periods, statistics
from satisfaction.indices.measures import assess_measure, decline_evidence
from satisfaction.units.tree import subtrees


@dataclass
class Finding:
    unit: Unit
    measure: str
    assessment: statistics.Assessment
    n: int


def weekly_shares(rule: AlertRule, window: periods.Period, unit_ids) -> dict[int, dict[int, list]]:
    """Per unit and week (0 = the oldest full week of the window, ending on its last day):
    [sum of respondents' index shares, respondents]."""
    weeks = window.days // 7
    if weeks < 2:
        return {}
    first = window.end - timedelta(days=7 * weeks - 1)
    return respondent_shares_by_week(source_of(rule.index).version_ids, unit_ids, first, weeks)


def sustained_decline(rule: AlertRule, window: periods.Period, subtree, shares,
                      units_watched: int) -> dict | None:
    """The CUSUM evidence when a unit's weekly shares (over its subtree) declined below the
    rule's target (``indices.measures.decline_evidence``)."""
    series = []
    for week in range(window.days // 7):
        total, n = 0.0, 0
        for unit_id in subtree:
            s, c = shares.get(unit_id, {}).get(week, (0.0, 0))
            total, n = total + s, n + c
        series.append((min(round(total), n), n))
    return decline_evidence(series, rule.target / 100, rule.min_n, units_watched)


def evaluate(rule: AlertRule, today: date) -> tuple[periods.Period, list[Finding], dict]:
    """Every unit's measures under the rule, with BH-adjusted states."""
    source = source_of(rule.index)
    window = window_of(rule, today)
    # The units in force on the window's last day: a ward merged away during the window is
    # not judged any more (its successor is, on its own answers and its own target).
    units = [u for u in db.session.scalars(sa.select(Unit).order_by(Unit.code))
             if u.is_active_on(window.end)]
    every = db.session.scalars(sa.select(Unit)).all()
    below = subtrees(every)
    tallies = tally(source.version_ids, [u.id for u in every], window, by_month=False)
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
        for unit_id, unit_findings in by_unit.items():
            _update_unit(_UnitCheck(rule, window, unit_findings, declines.get(unit_id),
                                    live.get(unit_id), now, dry_run), report)
        for unit_id, alert in live.items():
            if unit_id not in by_unit and alert.unit.valid_to is not None \
                    and alert.unit.valid_to < window.end:
                _close_ended(alert, now, report, dry_run)
        if not dry_run:
            report.escalated += escalate(rule, now)
    return report


@dataclass(frozen=True)
class _UnitCheck:
    """One unit under one rule in one check: its findings, a decline, its live alert."""

    rule: AlertRule
    window: periods.Period
    findings: list[Finding]
    decline: dict | None
    alert: Alert | None
    now: datetime
    dry_run: bool

    @property
    def unit(self) -> Unit:
        return self.findings[0].unit

    @property
    def flagged(self) -> list[Finding]:
        return [f for f in self.findings if f.assessment.state == "below"]

    def finding(self, measure: str) -> Finding | None:
        return {f.measure: f for f in self.findings}.get(measure)


def _update_unit(unit_check: _UnitCheck, report: CheckReport) -> None:
    """Refresh the unit's live alert, open one, or clear it."""
    alert, flagged, decline = unit_check.alert, unit_check.flagged, unit_check.decline
    if alert is not None:
        headline = unit_check.finding(alert.measure)
        alert.latest_value = _percent(headline.assessment.value) if headline else None
        alert.latest_at = unit_check.now
    if flagged or decline:
        evidence = [_evidence(f) for f in flagged] + ([decline] if decline else [])
        if alert is not None:
            alert.findings = evidence
            report.still_open += 1
            return
        _open(unit_check, evidence, report)
    elif alert is not None:
        _clear(unit_check, report)


def _open(unit_check: _UnitCheck, evidence: list[dict], report: CheckReport) -> None:
    rule, unit, flagged, decline = (unit_check.rule, unit_check.unit, unit_check.flagged,
                                    unit_check.decline)
    # The index itself when it is below, else the lowest measure found below (for a
    # decline alone: the index, whatever its state over the window).
    top = next((f for f in flagged if f.measure == ""), None) or (min(
        flagged, key=lambda f: (f.assessment.value, f.measure)) if flagged else
        unit_check.finding(""))
    a = top.assessment
    report.lines.append(
        f"open: rule {rule.id} {unit.code} {len(flagged)} measure(s) below "
        f"{rule.target}%{', sustained decline' if decline else ''}, e.g. "
        f"{top.measure or 'index'} {_percent(a.value):.1f}% (n={top.n}"
        + (f", adjusted p={a.adjusted_p:.2g})" if a.adjusted_p is not None else ")"))
    if unit_check.dry_run:
        return
    alert = Alert(
        rule_id=rule.id, unit_id=unit.id, measure=top.measure, findings=evidence,
        window_start=unit_check.window.start, window_end=unit_check.window.end,
        value=_percent(a.value), low=_percent(a.interval.low if a.interval else None),
        high=_percent(a.interval.high if a.interval else None), n=top.n,
        p_value=a.p_value, adjusted_p=a.adjusted_p, target=rule.target,
        latest_value=_percent(a.value), latest_at=unit_check.now,
    )
    # A concurrent check that opened the same alert makes this flush fail on the unique
    # index; the CLI then rolls back this whole run.
    db.session.add(alert)
    db.session.flush()
    alert.rule, alert.unit = rule, unit
    for channel, recipient in _recipients(alert, rule):
        db.session.add(Notification(alert_id=alert.id, channel=channel, recipient=recipient))
    for user_id in _inbox_users(alert, rule):
        db.session.add(InboxEntry(user_id=user_id, alert_id=alert.id))
    db.session.add(AuditEntry(action="alerts.open", subject=str(alert.id), details={
        "rule": rule.id, "unit": unit.code, "measures": [f.measure for f in flagged],
        "decline": decline is not None}))
    report.opened.append(alert)


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
    alert = unit_check.alert
    headline = unit_check.finding(alert.measure)
    if headline is None or headline.assessment.state == "not_enough_data":
        return  # cannot tell yet: keep it open
    report.lines.append(f"clear: alert {alert.id} {unit_check.unit.code} now "
                        f"{_percent(headline.assessment.value):.1f}%")
    if unit_check.dry_run:
        return
    alert.state = AlertState.CLEARED.value
    alert.cleared_at = unit_check.now
    db.session.add(AuditEntry(action="alerts.clear", subject=str(alert.id)))
    report.cleared.append(alert)


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
