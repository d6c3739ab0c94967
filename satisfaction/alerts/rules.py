"""Alert rules: when to tell a unit that it is below target. Data, managed on a page and
with the CLI; this module validates them and names what they test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from satisfaction.catalogue.lookup import Source, source_of
from satisfaction.db.accounts import AuditEntry
from satisfaction.db.alerts import AlertRule
from satisfaction.db.catalogue import IndexDefinition
from satisfaction.extensions import db
from satisfaction.indices import periods
from satisfaction.indices.questionnaires import Definition

#: Used for an index's evidence (on reports) when it has no active alert rule.
DEFAULT_MIN_N, DEFAULT_RATE = 30, 0.05

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


def rule_source(rule: AlertRule) -> Source:
    """The questionnaire (and its definition) whose answers the rule watches."""
    return source_of(rule.index, rule.questionnaire_code)


def build_rule(*, index_code: str, target: float, window: str, min_n: int,
               questionnaire: str | None = None,
               false_flag_rate: float = 0.05, level: str = "all", code: str | None = None,
               notify_unit: bool = True, notify_owner: bool = True, shift: float = 7.0,
               years_per_false_alert: float = 5.0, rejoin_days: int = 30,
               escalate_after_days: int = 14) -> AlertRule:
    """A validated rule, not stored (to add, or to preview over the past); raises RuleError
    with a clear message."""
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
    if not 0 < shift < target:
        raise RuleError("drop to catch: more than 0 points and less than the target")
    if not 0.5 <= years_per_false_alert <= 100:
        raise RuleError("years per false alert: from 0.5 to 100")
    if not 0 <= rejoin_days <= 365:
        raise RuleError("days that continue an episode: from 0 to 365")
    if not 1 <= escalate_after_days <= 365:
        raise RuleError("escalation delay: from 1 to 365 days")
    kind, days = parse_window(window)
    codes = index.questionnaire_codes or []
    questionnaire = questionnaire or (codes[0] if codes else None)
    if questionnaire not in codes:
        raise RuleError(f"questionnaire: one of {', '.join(codes)}")
    source = source_of(index, questionnaire)
    if code is not None:
        known = {g.code for g in source.definition.elements} | {
            i.code for i in source.definition.scored_items()}
        if code not in known:
            raise RuleError(f"unknown element or criterion {code!r} in {index_code}")
    return AlertRule(index=index, index_id=index.id, questionnaire_code=questionnaire,
                     target=target, window_kind=kind,
                     window_days=days, min_n=min_n, false_flag_rate=false_flag_rate,
                     level=level, code=code, notify_unit=notify_unit,
                     notify_owner=notify_owner, shift=shift,
                     years_per_false_alert=years_per_false_alert, rejoin_days=rejoin_days,
                     escalate_after_days=escalate_after_days, is_active=True)


def add_rule(*, user_id: int | None = None, **settings) -> AlertRule:
    """Validate and add a rule (``build_rule``'s settings); raises RuleError."""
    rule = build_rule(**settings)
    db.session.add(rule)
    db.session.flush()
    details = {k: v for k, v in settings.items() if k not in ("notify_unit", "notify_owner")}
    db.session.add(AuditEntry(user_id=user_id, action="alerts.rule.add", subject=str(rule.id),
                              details=details))
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


def watched_measures(rule: AlertRule, definition: Definition) -> list[Measure]:
    """What the sequential check watches: the index and its elements for ``all``; the
    criteria only when the rule is about criteria. Every respondent answers all of them, so
    the index and the elements already carry a fall of the criteria; watching 22 noisy
    criteria as well would raise every threshold (one budget shared by all the measures)
    and slow the alerts for the falls that matter. The criteria below target are listed
    as the alert's evidence, lowest first."""
    return [m for m in measures_of(rule, definition)
            if m.kind != "criterion" or rule.level == "criterion"]


def measure_label(definition: Definition, measure: str, locale: str = "vi") -> str:
    if not measure:
        return {"vi": "Chỉ số chung", "en": "Overall index"}[locale]
    for group in definition.elements:
        if group.code == measure:
            return group.label[locale]
    return definition.item(measure).text[locale]


def switch_off(rule: AlertRule, user_id: int | None = None) -> None:
    """Stop a rule from opening alerts; its alerts and their history are kept."""
    rule.is_active = False
    db.session.add(AuditEntry(user_id=user_id, action="alerts.rule.remove",
                              subject=str(rule.id)))


COMMENDATION_RULES = ("lower_bound", "value")


def set_commendation_rule(index: IndexDefinition, rule: str, user_id: int | None = None) -> None:
    """The index owner's rule for commendation candidates (see ``reporting.reports``)."""
    if rule not in COMMENDATION_RULES:
        raise RuleError(f"commendation rule: one of {', '.join(COMMENDATION_RULES)}")
    if index.commendation_rule != rule:
        db.session.add(AuditEntry(user_id=user_id, action="indices.commendation",
                                  subject=index.code,
                                  details={"from": index.commendation_rule, "to": rule}))
        index.commendation_rule = rule


def evidence_settings(index: IndexDefinition) -> tuple[int, float]:
    """(minimum answers, false-flag rate) of the index's first active rule, so that a report
    calls "below target" what an alert would; the defaults without one."""
    rule = db.session.scalar(sa.select(AlertRule).where(
        AlertRule.index_id == index.id, AlertRule.is_active.is_(True)).order_by(AlertRule.id))
    return (rule.min_n, rule.false_flag_rate) if rule else (DEFAULT_MIN_N, DEFAULT_RATE)


def all_rules() -> list[AlertRule]:
    return list(db.session.scalars(sa.select(AlertRule).order_by(AlertRule.id)))


def find_rule(rule_id: int) -> AlertRule | None:
    return db.session.get(AlertRule, rule_id) if 0 < rule_id < 2**31 else None
