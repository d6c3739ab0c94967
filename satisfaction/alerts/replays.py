"""Replays: what the daily check would have done over a past range, for ``flask alerts
replay`` and the rule page's preview. Reads the stored answers; changes and sends nothing."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from satisfaction import clock
from satisfaction.alerts.check import units_judged
from satisfaction.alerts.rules import RuleError
from satisfaction.alerts.watch import replay
from satisfaction.db.alerts import AlertRule
from satisfaction.extensions import db

#: The longest range replayed at once (the watch holds units x measures x days in memory).
MAX_DAYS = 3 * 366


def replay_rule(rule: AlertRule, first: date, last: date,
                unit_codes: tuple[str, ...] = ()) -> dict:
    """One rule's replayed episodes, as plain data."""
    if last < first:
        raise RuleError("the range ends before it starts")
    if (last - first).days + 1 > MAX_DAYS:
        raise RuleError(f"replay at most {MAX_DAYS} days at once")
    units, every = units_judged(last)
    if unit_codes:
        known = {u.code: u for u in every}
        unknown = sorted(set(unit_codes) - set(known))
        if unknown:
            raise RuleError(f"unknown unit(s): {', '.join(unknown)}")
        units = [known[c] for c in unit_codes]
    episodes = replay(rule, first, last, units, every)
    return {
        "rule": rule.id, "index": rule.index.code, "target": rule.target,
        "from": first.isoformat(), "to": last.isoformat(), "units": len(units),
        "units_with_episodes": len({e.unit.code for e in episodes}),
        "episodes": [{"unit": e.unit.code, "opened": e.opened.isoformat(),
                      "closed": e.closed.isoformat() if e.closed else None,
                      "measures": list(e.measures)} for e in episodes],
    }


def replay_rules(first: date, last: date, rule_ids: tuple[int, ...] = (),
                 unit_codes: tuple[str, ...] = ()) -> dict:
    query = sa.select(AlertRule).order_by(AlertRule.id)
    if rule_ids:
        query = query.where(AlertRule.id.in_(rule_ids))
    else:
        query = query.where(AlertRule.is_active.is_(True))
    rules = db.session.scalars(query).all()
    missing = sorted(set(rule_ids) - {r.id for r in rules})
    if missing:
        raise RuleError(f"no rule {', '.join(map(str, missing))}")
    return {"rules": [replay_rule(rule, first, last, unit_codes) for rule in rules]}


def last_year() -> tuple[date, date]:
    """The year ending yesterday: the rule page's preview."""
    last = clock.today() - timedelta(days=1)
    return last - timedelta(days=364), last
