"""Reading the counts: one period's answer and response counts per unit, and per month
for the trend, from the monthly counts and, at the period's edges, the daily ones.

The database sums them: the cost follows units × items (plus months × items for a trend),
not the number of responses. The reports and the alerts both read through ``tally``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
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
from satisfaction.indices.respondents import SCORE_PREFIX

Month = tuple[int, int]
Distribution = dict[int | None, int]


@dataclass
class Tallies:
    """Counts of one period: per unit over the whole period, and per month over all the
    units tallied together (the trend). Answers are item code -> value -> count; the key
    None counts "no opinion"."""

    units: dict[int, dict[str, Distribution]] = field(default_factory=dict)
    unit_responses: dict[int, int] = field(default_factory=dict)
    months: dict[Month, dict[str, Distribution]] = field(default_factory=dict)
    month_responses: dict[Month, int] = field(default_factory=dict)

    def counts(self, unit_ids: Iterable[int]) -> tuple[dict[str, Distribution], int]:
        """Summed answer counts and response total over the given units (for one unit, its
        own counts: read them, do not change them)."""
        unit_ids = list(unit_ids)
        if len(unit_ids) == 1:
            return self.units.get(unit_ids[0], {}), self.unit_responses.get(unit_ids[0], 0)
        total: dict[str, Distribution] = {}
        responses = 0
        for unit_id in unit_ids:
            _add_items(total, self.units.get(unit_id, {}))
            responses += self.unit_responses.get(unit_id, 0)
        return total, responses

    def month(self, month: Month) -> tuple[dict[str, Distribution], int]:
        """The answer counts and responses of one month, over every unit tallied."""
        return self.months.get(month, {}), self.month_responses.get(month, 0)

    def carry(self, parts: Iterable[tuple[Tallies, Iterable[int], float]], into: int) -> int:
        """Add the counts of other tallies' units under the key ``into`` (and to the months),
        each multiplied by its share: ``parts`` are (tallies of those units only, the units,
        the share). Shares are summed first and rounded once, half up, per value (an
        estimate when a share is below 1). Each count is rounded on its own, so an item's
        answers may come to one more or less than the responses carried (half of one answer
        4 and half of one answer 5: one response, two answers). Returns the number of
        responses carried."""
        units: dict[str, dict] = {}
        months: dict[Month, dict[str, dict]] = {}
        responses = 0.0
        month_responses: dict[Month, float] = {}
        for other, unit_ids, share in parts:
            for unit_id in unit_ids:
                _weigh(units, other.units.get(unit_id, {}), share)
                responses += other.unit_responses.get(unit_id, 0) * share
            for month, items in other.months.items():
                _weigh(months.setdefault(month, {}), items, share)
                month_responses[month] = (month_responses.get(month, 0.0)
                                          + other.month_responses.get(month, 0) * share)
        carried = _half_up(responses)
        _add_items(self.units.setdefault(into, {}), _rounded(units))
        self.unit_responses[into] = self.unit_responses.get(into, 0) + carried
        for month, items in months.items():
            _add_items(self.months.setdefault(month, {}), _rounded(items))
            self.month_responses[month] = (self.month_responses.get(month, 0)
                                           + _half_up(month_responses[month]))
        self.drop_zeros()
        return carried

    def drop_zeros(self) -> None:
        """Forget values whose count came to zero (days taken away, a share rounded)."""
        for groups in (self.units, self.months):
            for items in groups.values():
                for code in list(items):
                    items[code] = {v: n for v, n in items[code].items() if n}
                    if not items[code]:
                        del items[code]


def _add_items(total: dict[str, Distribution], items: dict[str, Distribution]) -> None:
    for code, distribution in items.items():
        bucket = total.get(code)
        if bucket is None:
            total[code] = dict(distribution)
            continue
        for value, n in distribution.items():
            bucket[value] = bucket.get(value, 0) + n


def _weigh(total: dict[str, dict], items: dict[str, Distribution], share: float) -> None:
    for code, distribution in items.items():
        bucket = total.setdefault(code, {})
        for value, n in distribution.items():
            bucket[value] = bucket.get(value, 0.0) + n * share


def _half_up(x: float) -> int:
    # Not round(): half to even would turn each 0.5 into nothing.
    return math.floor(x + 0.5 + 1e-9)


def _rounded(items: dict[str, dict]) -> dict[str, Distribution]:
    return {code: {value: _half_up(n) for value, n in distribution.items()}
            for code, distribution in items.items()}


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


def tally(version_ids: Iterable[int], unit_ids: Iterable[int], period: Period, *,
          by_month: bool = True) -> Tallies:
    """Grouped queries over the monthly counts and, at the period's edges, the daily ones,
    summed by the database per unit (and, ``by_month``, per month over all the units): the
    cost follows units × items plus months × items (plus at most half a month of days at
    each edge), not the number of responses."""
    units = sorted(set(unit_ids))
    result = Tallies()
    if not units:
        return result
    months, day_ranges = _plan(period)
    versions = tuple(version_ids)
    parts = []
    if months:
        parts.append((MonthlyCount, MonthlyResponseCount, MonthlyCount.month.in_(months),
                      MonthlyResponseCount.month.in_(months), 1, None))
    for first, last, sign in day_ranges:
        parts.append((DailyCount, DailyResponseCount, DailyCount.day.between(first, last),
                      DailyResponseCount.day.between(first, last), sign,
                      (first.year, first.month)))
    connection = db.session.connection()
    for answers, responses, when, responses_when, sign, month in parts:
        chosen = (answers.questionnaire_version_id.in_(versions), answers.unit_id.in_(units),
                  when)
        counted = (responses.questionnaire_version_id.in_(versions),
                   responses.unit_id.in_(units), responses_when)
        for unit_id, code, value, n in connection.execute(
            sa.select(answers.unit_id, answers.item_code, answers.value,
                      sa.func.sum(answers.count))
            .where(*chosen).group_by(answers.unit_id, answers.item_code, answers.value)
        ):
            _put(result.units.setdefault(unit_id, {}), code, value, sign * int(n))
        for unit_id, n in connection.execute(
            sa.select(responses.unit_id, sa.func.sum(responses.count))
            .where(*counted).group_by(responses.unit_id)
        ):
            result.unit_responses[unit_id] = result.unit_responses.get(unit_id, 0) + sign * int(n)
        if by_month:
            _tally_months(connection, result, answers, responses, chosen, counted, sign, month)
    if any(sign < 0 for _, _, sign in day_ranges):
        result.drop_zeros()
    return result


def _tally_months(connection, result: Tallies, answers, responses, chosen, counted,
                  sign: int, month: Month | None) -> None:
    """The trend's part: answers and responses per month over all the units; a day range
    (``month`` given) belongs to its month. A trend scores items only: the respondents'
    own shares (``@`` pseudo-items, half of the rows) are left to the database."""
    chosen = (*chosen, answers.item_code.not_like(f"{SCORE_PREFIX}%"))
    if month is None:
        answer_rows = connection.execute(
            sa.select(answers.month, answers.item_code, answers.value, sa.func.sum(answers.count))
            .where(*chosen).group_by(answers.month, answers.item_code, answers.value))
        response_rows = connection.execute(
            sa.select(responses.month, sa.func.sum(responses.count))
            .where(*counted).group_by(responses.month))
    else:
        answer_rows = ((None, code, value, n) for code, value, n in connection.execute(
            sa.select(answers.item_code, answers.value, sa.func.sum(answers.count))
            .where(*chosen).group_by(answers.item_code, answers.value)))
        response_rows = ((None, n) for (n,) in connection.execute(
            sa.select(sa.func.sum(responses.count)).where(*counted)) if n is not None)
    for day, code, value, n in answer_rows:
        key = month or (day.year, day.month)
        _put(result.months.setdefault(key, {}), code, value, sign * int(n))
    for day, n in response_rows:
        key = month or (day.year, day.month)
        result.month_responses[key] = result.month_responses.get(key, 0) + sign * int(n)


def _put(items: dict[str, Distribution], code: str, value: int, n: int) -> None:
    if n:
        bucket = items.setdefault(code, {})
        key = None if value == NO_OPINION_KEY else value
        bucket[key] = bucket.get(key, 0) + n


def daily_measures(version_ids: Iterable[int], unit_ids: Iterable[int], first: date,
                   last: date, means: Iterable[str], shares: Mapping[str, Iterable[int]]
                   ) -> np.ndarray:
    """Per unit, local day and measure, one row: (unit id, day number from ``first``,
    measure number, answers, sum, sum of squares), as a float array.

    ``means`` are pseudo-items of respondents' own shares ("@" the index, "@A" an element),
    summed as shares (0-1); ``shares`` maps a criterion to its satisfied values, summed as
    0/1 answers (no-opinion answers left out). Measures are numbered ``means`` first, then
    ``shares``. The database does the sums and the numbering: one row per unit, day and
    measure, whatever the number of answers, read straight into numpy."""
    codes = list(means)
    criteria = {code: sorted(values) for code, values in shares.items()}
    every = codes + list(criteria)
    versions, units = list(version_ids), list(unit_ids)
    if not every or not _answered(versions, units, first, last):
        return np.zeros((0, 6))
    score = DailyCount.value - 1
    satisfied = sa.case(*((sa.and_(DailyCount.item_code == code, DailyCount.value.in_(values)),
                           DailyCount.count) for code, values in criteria.items()), else_=0) \
        if criteria else sa.literal(0)
    is_mean = DailyCount.item_code.in_(codes)
    answers = sa.func.sum(DailyCount.count)
    total = sa.func.sum(sa.case((is_mean, DailyCount.count * score), else_=satisfied))
    squares = sa.func.sum(sa.case((is_mean, DailyCount.count * score * score),
                                  else_=satisfied))
    measure = sa.case({code: number for number, code in enumerate(every)},
                      value=DailyCount.item_code)
    connection = db.session.connection()
    # The day's number in the database: converting a date per row costs more than the sum.
    if connection.dialect.name == "sqlite":
        day = sa.cast(sa.func.julianday(DailyCount.day) - sa.func.julianday(first.isoformat()),
                      sa.Integer)
    else:
        day = DailyCount.day - first
    query = (
        sa.select(DailyCount.unit_id, day, measure, answers, total, squares)
        .where(DailyCount.questionnaire_version_id.in_(versions),
               DailyCount.unit_id.in_(units),
               DailyCount.day.between(first, last),
               DailyCount.item_code.in_(every),
               DailyCount.value != NO_OPINION_KEY)
        .group_by(DailyCount.unit_id, DailyCount.day, DailyCount.item_code))
    # Plain tuples: numpy would look each SQLAlchemy row up as a mapping, column by column.
    rows = np.array([tuple(row) for row in connection.execute(query)],
                    dtype=float).reshape(-1, 6)
    # Respondents' shares are counted in thousandths (``indices.respondents``).
    scaled = rows[:, 2] < len(codes)
    rows[scaled, 4] /= 1000
    rows[scaled, 5] /= 1_000_000
    return rows


def _answered(version_ids: list[int], unit_ids: list[int], first: date, last: date) -> bool:
    """Any accepted answer to these versions in these units and days (a small table): a
    questionnaire nobody answered costs one look, not a scan of every count."""
    return db.session.connection().execute(
        sa.select(DailyResponseCount.unit_id).where(
            DailyResponseCount.questionnaire_version_id.in_(version_ids),
            DailyResponseCount.unit_id.in_(unit_ids),
            DailyResponseCount.day.between(first, last)).limit(1)).first() is not None


def month_cells(version_ids: Iterable[int], unit_ids: Iterable[int],
                months: Iterable[Month]) -> dict[tuple[int, Month], int]:
    """Responses per unit and calendar month (the cells of the disclosure rule), read from
    the monthly counts; cells without responses are left out."""
    units, wanted = sorted(set(unit_ids)), [date(y, m, 1) for y, m in months]
    if not units or not wanted:
        return {}
    rows = db.session.execute(
        sa.select(MonthlyResponseCount.unit_id, MonthlyResponseCount.month,
                  sa.func.sum(MonthlyResponseCount.count))
        .where(MonthlyResponseCount.questionnaire_version_id.in_(list(version_ids)),
               MonthlyResponseCount.unit_id.in_(units), MonthlyResponseCount.month.in_(wanted))
        .group_by(MonthlyResponseCount.unit_id, MonthlyResponseCount.month))
    return {(unit_id, (month.year, month.month)): int(n) for unit_id, month, n in rows if n}
