"""Reading the counts: one period's answer and response counts per unit and month, from
the monthly counts and, at the period's edges, the daily ones.

The cost follows units × months × items (plus at most half a month of days at each edge),
not the number of responses. The reports and the alerts both read through ``tally``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from satisfaction.counts.updates import NO_OPINION_KEY
from satisfaction.db.counts import (
    DailyCount,
    DailyResponseCount,
    MonthlyCount,
    MonthlyResponseCount,
)
from satisfaction.extensions import db
from satisfaction.indices.periods import Period
from satisfaction.indices.respondents import SHARE_SUM

Month = tuple[int, int]
Distribution = dict[int | None, int]


@dataclass
class Tallies:
    """Counts of one period, indexed by unit, then month, then item: answers and responses."""

    answers: dict[int, dict[Month, dict[str, Distribution]]] = field(default_factory=dict)
    responses: dict[int, dict[Month, int]] = field(default_factory=dict)

    def add(self, unit_id: int, month: Month, code: str, value: int, n: int) -> None:
        items = self.answers.setdefault(unit_id, {}).setdefault(month, {})
        bucket = items.setdefault(code, {})
        key = None if value == NO_OPINION_KEY else value
        bucket[key] = bucket.get(key, 0) + n

    def add_responses(self, unit_id: int, month: Month, n: int) -> None:
        months = self.responses.setdefault(unit_id, {})
        months[month] = months.get(month, 0) + n

    def drop_zeros(self) -> None:
        """Forget values whose count came to zero after days were taken away."""
        for months in self.answers.values():
            for items in months.values():
                for code in list(items):
                    items[code] = {v: n for v, n in items[code].items() if n}
                    if not items[code]:
                        del items[code]

    def carry(self, other: Tallies, unit_ids: Iterable[int], into: int, share: float) -> int:
        """Add ``other``'s counts of ``unit_ids`` under the key ``into``, each multiplied by
        ``share`` and rounded (an estimate when the share is below 1). Returns the number
        of responses carried."""
        carried = 0
        for unit_id in unit_ids:
            for month, items in other.answers.get(unit_id, {}).items():
                target = self.answers.setdefault(into, {}).setdefault(month, {})
                for code, distribution in items.items():
                    bucket = target.setdefault(code, {})
                    for value, n in distribution.items():
                        bucket[value] = bucket.get(value, 0) + _scaled(n, share)
            for month, n in other.responses.get(unit_id, {}).items():
                carried += _scaled(n, share)
                self.add_responses(into, month, _scaled(n, share))
        self.drop_zeros()
        return carried

    def counts(self, unit_ids: Iterable[int], months: Iterable[Month] | None = None):
        """Summed answer counts and response total over the given units (and months)."""
        wanted = set(months) if months is not None else None
        total: dict[str, Distribution] = {}
        responses = 0
        for unit_id in unit_ids:
            for month, items in self.answers.get(unit_id, {}).items():
                if wanted is not None and month not in wanted:
                    continue
                for code, distribution in items.items():
                    bucket = total.setdefault(code, {})
                    for value, n in distribution.items():
                        bucket[value] = bucket.get(value, 0) + n
            for month, n in self.responses.get(unit_id, {}).items():
                if wanted is None or month in wanted:
                    responses += n
        return total, responses


def _scaled(n: int, share: float) -> int:
    return n if share == 1 else round(n * share)


def _month_bounds(y: int, m: int) -> tuple[date, date]:
    first = date(y, m, 1)
    return first, (date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)) - timedelta(days=1)


def _plan(period: Period) -> tuple[list[date], list[tuple[date, date, int]]]:
    """How to read a period: whole months from the monthly counts, plus day ranges from the
    daily counts, each added (+1) or taken away (-1). A month mostly inside the period is
    read whole and its few outside days taken away, so at most about half a month of days
    is ever read at each edge."""
    months, days = [], []
    for y, m in period.months():
        first, last = _month_bounds(y, m)
        start, end = max(first, period.start), min(last, period.end)
        if (start, end) == (first, last):
            months.append(first)
        elif 2 * ((end - start).days + 1) > (last - first).days + 1:
            months.append(first)
            if start > first:
                days.append((first, start - timedelta(days=1), -1))
            if end < last:
                days.append((end + timedelta(days=1), last, -1))
        else:
            days.append((start, end, 1))
    return months, days


def tally(version_ids: Iterable[int], unit_ids: Iterable[int], period: Period) -> Tallies:
    """Grouped queries over the monthly counts and, at the period's edges, the daily ones:
    the cost follows units × months × items (plus at most half a month of days at each
    edge), not the number of responses."""
    units = sorted(set(unit_ids))
    result = Tallies()
    if not units:
        return result
    months, day_ranges = _plan(period)
    versions = tuple(version_ids)
    if months:
        rows = db.session.execute(
            sa.select(MonthlyCount.unit_id, MonthlyCount.month, MonthlyCount.item_code,
                      MonthlyCount.value, sa.func.sum(MonthlyCount.count))
            .where(MonthlyCount.questionnaire_version_id.in_(versions),
                   MonthlyCount.unit_id.in_(units),
                   MonthlyCount.month.in_(months))
            .group_by(MonthlyCount.unit_id, MonthlyCount.month, MonthlyCount.item_code,
                      MonthlyCount.value)
        )
        for unit_id, month, code, value, n in rows:
            if n:
                result.add(unit_id, (month.year, month.month), code, value, int(n))
        for unit_id, month, n in db.session.execute(
            sa.select(MonthlyResponseCount.unit_id, MonthlyResponseCount.month,
                      sa.func.sum(MonthlyResponseCount.count))
            .where(MonthlyResponseCount.questionnaire_version_id.in_(versions),
                   MonthlyResponseCount.unit_id.in_(units),
                   MonthlyResponseCount.month.in_(months))
            .group_by(MonthlyResponseCount.unit_id, MonthlyResponseCount.month)
        ):
            if n:
                result.add_responses(unit_id, (month.year, month.month), int(n))
    for first, last, sign in day_ranges:
        month = (first.year, first.month)
        for unit_id, code, value, n in db.session.execute(
            sa.select(DailyCount.unit_id, DailyCount.item_code, DailyCount.value,
                      sa.func.sum(DailyCount.count))
            .where(DailyCount.questionnaire_version_id.in_(versions),
                   DailyCount.unit_id.in_(units),
                   DailyCount.day.between(first, last))
            .group_by(DailyCount.unit_id, DailyCount.item_code, DailyCount.value)
        ):
            if n:
                result.add(unit_id, month, code, value, sign * int(n))
        for unit_id, n in db.session.execute(
            sa.select(DailyResponseCount.unit_id, sa.func.sum(DailyResponseCount.count))
            .where(DailyResponseCount.questionnaire_version_id.in_(versions),
                   DailyResponseCount.unit_id.in_(units),
                   DailyResponseCount.day.between(first, last))
            .group_by(DailyResponseCount.unit_id)
        ):
            if n:
                result.add_responses(unit_id, month, sign * int(n))
    if any(sign < 0 for _, _, sign in day_ranges):
        result.drop_zeros()
    return result


def respondent_shares_by_day(version_ids: Iterable[int], unit_ids: Iterable[int], first: date,
                             last: date) -> dict[int, dict[date, list]]:
    """Per unit and local day: [sum of respondents' index shares, respondents], from the two
    count rows per unit and day that ``indices.respondents.SHARE_SUM`` keeps."""
    result: dict[int, dict[date, list]] = {}
    for unit_id, day, value, n in db.session.execute(
        sa.select(DailyCount.unit_id, DailyCount.day, DailyCount.value,
                  sa.func.sum(DailyCount.count))
        .where(DailyCount.questionnaire_version_id.in_(list(version_ids)),
               DailyCount.item_code == SHARE_SUM,
               DailyCount.unit_id.in_(list(unit_ids)),
               DailyCount.day.between(first, last))
        .group_by(DailyCount.unit_id, DailyCount.day, DailyCount.value)
    ):
        bucket = result.setdefault(unit_id, {}).setdefault(day, [0.0, 0])
        if value == 1:
            bucket[0] += int(n) / 1000
        else:
            bucket[1] += int(n)
    return result
