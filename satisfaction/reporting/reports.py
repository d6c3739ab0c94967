"""Index reports for a unit and a period, read from the per-day counts.

Roll-ups are computed from the counts of every unit below (answers, not averaged
percentages), then scored by the index's method (``indices.scoring``); the evidence about
each measure comes from ``indices.measures``, with the minimum answers and false-flag rate
of the index's alert rule, so that a report calls "below target" what an alert would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import sqlalchemy as sa

from satisfaction import clock
from satisfaction.accounts.access import Permission, Scope, require_index, require_unit
from satisfaction.alerts.rules import evidence_settings
from satisfaction.catalogue.lookup import Source, source_of
from satisfaction.clock import local_bounds
from satisfaction.counts.tallies import Month, Tallies, month_cells, tally
from satisfaction.db.catalogue import IndexDefinition, IndexTarget
from satisfaction.db.responses import Response, ResponseStatus
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.indices import disclosure, measures, scoring, statistics
from satisfaction.indices.periods import Period
from satisfaction.privacy import accuses_staff, mask_personal_data
from satisfaction.reporting.coverage import Coverage, Intake, intake
from satisfaction.units.lineage import Ancestor, ancestors
from satisfaction.units.tree import subtrees

MEETS, BELOW, NO_DATA = "meets", "below", "no_data"
#: Fewer answers than the index's minimum: no verdict, neither "meets" nor "below".
NOT_ENOUGH = "not_enough_data"


@dataclass(frozen=True)
class UnitResult:
    unit: Unit
    responses: int
    score: scoring.IndexScore
    target: float
    state: str
    #: Quarantined responses, dossiers, response rate, verified share (current period only).
    coverage: Coverage | None = None
    #: Some of the answers are a predecessor's carried over by a share below 1.
    estimated: bool = False
    #: The lower 95 % bound of the respondents' mean share (percent; share indices only):
    #: what the ranking orders by.
    low: float | None = None
    #: What a commendation candidate must have at the target: its lower bound, or its value
    #: (the index owner's rule, ``IndexDefinition.commendation_rule``).
    commend_by: str = "lower_bound"
    #: The upper 95 % bound, beside ``low`` (percent; share indices only).
    high: float | None = None
    #: Not shown to this user: a cell of it holds 1 to 4 answers (the disclosure rule).
    withheld: bool = False

    @property
    def value(self) -> float | None:
        return self.score.value

    @property
    def ranked(self) -> bool:
        """Has a value and enough answers to be placed in the ranking."""
        return self.value is not None and self.state != NOT_ENOUGH

    @property
    def candidate(self) -> bool:
        """A commendation candidate: enough answers, and the lower bound (or, by the index
        owner's rule, the value) at the target."""
        figure = self.value if self.commend_by == "value" else self.low
        return self.ranked and figure is not None and figure >= self.target

    @property
    def group(self) -> str:
        """Whom the unit is ranked with: wards, communes and other territorial units
        together, offices apart (a district office is not compared with a ward)."""
        return "offices" if self.unit.kind == "office" else "territorial"

    @property
    def rank_key(self) -> tuple:
        """Territorial units before offices; in each, ranked units first, by lower bound
        (by value without one), then the others."""
        return (self.group == "offices", not self.ranked, self.value is None,
                -(self.low if self.low is not None else (self.value or 0)), self.unit.code)


@dataclass(frozen=True)
class TrendPoint:
    month: Month
    responses: int
    value: float | None
    estimated: bool = False


@dataclass(frozen=True)
class History:
    """A unit's answers before it existed, from its predecessors (``units.lineage``)."""

    #: The predecessors whose answers were carried in, with their shares and days.
    ancestors: tuple[Ancestor, ...]

    @property
    def estimated(self) -> bool:
        return any(ancestor.is_estimate for ancestor in self.ancestors)

    def estimates(self, month: Month) -> bool:
        return any(a.is_estimate and (a.start.year, a.start.month) <= month
                   <= (a.end.year, a.end.month) for a in self.ancestors)


@dataclass(frozen=True)
class Weighted:
    """A roll-up in which each direct unit counts by the dossiers it handled, not by the
    answers it collected, so that a unit that collects many answers does not dominate."""

    value: float
    #: The direct units that have both a value and dossier counts in the period.
    units: int
    dossiers: int


def ranks(children: Iterable[UnitResult]) -> list[int | None]:
    """1, 2, … for the ranked units of each group, in the report's order; None otherwise."""
    result, seen = [], {}
    for child in children:
        if child.ranked:
            seen[child.group] = seen.get(child.group, 0) + 1
        result.append(seen[child.group] if child.ranked else None)
    return result


def weighted_by_dossiers(children: Iterable[UnitResult]) -> Weighted | None:
    """Σ value × dossiers ÷ Σ dossiers over the direct units with a value and a dossier
    list that counts dossiers in the period; None when there are none."""
    pairs = [(child.value, child.coverage.dossiers) for child in children
             if child.value is not None and child.coverage is not None
             and child.coverage.rate is not None and child.coverage.dossiers > 0]
    if not pairs:
        return None
    dossiers = sum(n for _, n in pairs)
    return Weighted(sum(value * n for value, n in pairs) / dossiers, len(pairs), dossiers)


class Withheld(Exception):
    """The figures asked for are not shown to this user: some unit's month within them
    holds fewer answers than the disclosure rule's minimum (``indices.disclosure``)."""

    def __init__(self, unit: Unit, period: Period, minimum: int):
        super().__init__(f"{unit.code} {period.label}: fewer than {minimum} answers in a cell")
        self.unit, self.period, self.minimum = unit, period, minimum


@dataclass(frozen=True)
class CommentGroup:
    """Comments of one day (one month for users under the disclosure rule), personal data
    masked, in no order that would tell who wrote what when."""

    first_day: date
    by_month: bool
    texts: tuple[str, ...]


@dataclass
class Report:
    index: IndexDefinition
    source: Source
    unit: Unit
    period: Period
    result: UnitResult
    previous: UnitResult
    trend: tuple[TrendPoint, ...]
    #: Units directly below, each rolled up over its own subtree (ranking / commendation).
    children: tuple[UnitResult, ...]
    lowest: tuple[scoring.ItemScore, ...]
    comments: tuple[CommentGroup, ...] | None
    #: Per measure ("" the index, element and criterion codes): interval and state against
    #: the target, BH-adjusted across the measures; None for indices not scored as shares.
    evidence: dict[str, statistics.Assessment] | None = None
    #: Criteria whose share dropped significantly from the previous period (BH-adjusted p).
    drops: dict[str, float] = field(default_factory=dict)
    #: Each criterion's change since the compared period, with its interval and whether it
    #: is significant (``indices.measures.criterion_changes``).
    changes: dict[str, measures.Change] = field(default_factory=dict)
    min_n: int = 30
    #: The period ``previous`` is about: the one before, or the one asked to compare with.
    compared_with: Period | None = None
    #: The unit's answers before it existed, carried from its predecessors (this period,
    #: and the compared one).
    history: History | None = None
    previous_history: History | None = None
    #: The value of the direct units weighted by the dossiers each handled in the period
    #: (beside ``result``, which pools every answer): None without dossier counts.
    weighted: Weighted | None = None
    #: Comments about staff conduct, left out of ``comments`` for the inspector role.
    comments_for_inspector: int = 0

    @property
    def predecessors(self) -> tuple[Ancestor, ...]:
        """The predecessors standing in for the unit in this period or the compared one."""
        found: dict[tuple[int, float], Ancestor] = {}
        for history in (self.history, self.previous_history):
            for ancestor in history.ancestors if history else ():
                found.setdefault((ancestor.unit.id, ancestor.share), ancestor)
        return tuple(found.values())

    @property
    def ended(self) -> bool:
        """The unit ended before the period did (its counters went to its successor), and
        that day has passed."""
        last = self.unit.valid_to
        return last is not None and last < min(self.period.end, clock.today())

    @property
    def change(self) -> float | None:
        if self.result.value is None or self.previous.value is None:
            return None
        return self.result.value - self.previous.value


def targets_for(index: IndexDefinition, unit_ids: Iterable[int]) -> dict[int, float]:
    own = dict(
        db.session.execute(
            sa.select(IndexTarget.unit_id, IndexTarget.target).where(
                IndexTarget.index_id == index.id, IndexTarget.unit_id.in_(list(unit_ids))
            )
        ).all()
    )
    return own


def state_of(value: float | None, target: float, responses: int, min_n: int) -> str:
    if value is None:
        return NO_DATA
    if responses < min_n:
        return NOT_ENOUGH
    return MEETS if value >= target else BELOW


def _result(index, source, unit, tallies, unit_ids, target, min_n: int,
            figures: Intake | None = None, estimated: bool = False) -> UnitResult:
    counts, responses = tallies.counts(unit_ids)
    score = scoring.score(index.method, source.structure, counts, index.params or {})
    low = high = None
    if index.method == "top_two_box":
        # Each share lies in [0, 1], so the Bernoulli variance bounds its spread: the Wilson
        # interval on (sum of shares, respondents) is conservative and never zero-width.
        interval = statistics.wilson_interval(*measures.respondent_share(counts))
        if interval:
            low, high = interval.low * 100, interval.high * 100
    return UnitResult(unit, responses, score, target,
                      state_of(score.value, target, responses, min_n),
                      figures.coverage(tallies, unit_ids) if figures else None, estimated, low,
                      index.commendation_rule, high)


def unit_report(
    scope: Scope,
    index_code: str,
    unit_code: str,
    period: Period,
    questionnaire_code: str | None = None,
    *,
    compare: Period | None = None,
    with_comments: bool = True,
) -> Report:
    """The full report of one unit (rolled up over the units below it) for a period, beside
    the period before it (or ``compare``). Before the unit existed, its predecessors'
    answers stand in for it (``History``); its direct units are those that existed in the
    period."""
    index = require_index(scope, index_code)
    unit = require_unit(scope, unit_code)
    source = source_of(index, questionnaire_code)
    all_units = db.session.scalars(sa.select(Unit)).all()
    below = subtrees(all_units)
    subtree = below[unit.id]
    minimum = scope.disclosure_minimum
    if minimum:
        period = whole_months(period)
        compare = whole_months(compare) if compare else None
        if not _disclosed(source, unit, below, period, minimum):
            raise Withheld(unit, period, minimum)
    visible_children = [
        child for child in all_units
        if child.parent_id == unit.id and scope.sees_unit(child.id)
        and child.existed_during(period.start, period.end)
    ]
    compared_with = compare or period.previous()
    current = tally(source.version_ids, subtree, period)
    before = tally(source.version_ids, subtree, compared_with, by_month=False)
    history = _carry_history(current, source, unit, below, period, by_month=True)
    previous_history = _carry_history(before, source, unit, below, compared_with,
                                      by_month=False)
    with_history = [*subtree, _history_key(unit)]
    figures = intake(source, subtree, period)
    own_targets = targets_for(index, [unit.id, *(c.id for c in visible_children)])
    target = own_targets.get(unit.id, index.target)
    min_n, _rate = evidence_settings(index)

    result = _result(index, source, unit, current, with_history, target, min_n,
                     figures=figures, estimated=bool(history and history.estimated))
    previous = _result(index, source, unit, before, with_history, target, min_n,
                       estimated=bool(previous_history and previous_history.estimated))
    if minimum and not _disclosed(source, unit, below, compared_with, minimum):
        previous = _withheld(previous, index, source)
    trend = []
    for month in period.months():
        counts, responses = current.month(month)
        value = scoring.score(index.method, source.structure, counts, index.params or {}).value
        trend.append(TrendPoint(month, responses, value,
                                bool(history and history.estimates(month))))
    children = tuple(sorted(
        (_result(index, source, child, current, below[child.id],
                 own_targets.get(child.id, index.target), min_n, figures=figures)
         for child in visible_children),
        key=lambda r: r.rank_key))
    comments, for_inspector = None, 0
    if with_comments and scope.personal_data:
        comments, for_inspector = recent_comments(
            source, subtree, period, by_month=bool(minimum),
            with_accusations=scope.may(Permission.INSPECT))
    report = Report(index, source, unit, period, result, previous, tuple(trend), children,
                    measures.lowest_items(result.score), comments, compared_with=compared_with,
                    history=history, previous_history=previous_history,
                    weighted=weighted_by_dossiers(children),
                    comments_for_inspector=for_inspector)
    if index.method == "top_two_box":
        _add_evidence(report, current, before, with_history, target)
    return report


def _history_key(unit: Unit) -> int:
    """Where a unit's carried-over answers are kept in its tallies: a key no unit has."""
    return -unit.id


def _carry_history(tallies: Tallies, source: Source, unit: Unit,
                   below: dict[int, frozenset[int]], period: Period,
                   by_month: bool) -> History | None:
    """Add the answers of the unit's predecessors on the days before it existed to
    ``tallies`` (under ``_history_key``), each by its share."""
    used, parts = [], []
    for ancestor in ancestors(unit, period.start, period.end):
        if ancestor.unit.id in below[unit.id]:
            continue
        part = tally(source.version_ids, below[ancestor.unit.id],
                     Period(ancestor.start, ancestor.end), by_month=by_month)
        if any(part.unit_responses.values()):
            used.append(ancestor)
            parts.append((part, below[ancestor.unit.id], ancestor.share))
    if not parts:
        return None
    tallies.carry(parts, _history_key(unit))
    return History(tuple(used))


def _add_evidence(report: Report, current: Tallies, before: Tallies,
                  with_history: list[int], target: float) -> None:
    """Intervals and states of every measure, the criteria that dropped since the compared
    period."""
    definition = report.source.definition
    min_n, rate = evidence_settings(report.index)
    counts, _ = current.counts(with_history)
    report.evidence = measures.assess_measures(definition, counts, target / 100, min_n, rate)
    report.min_n = min_n
    before_counts, _ = before.counts(with_history)
    report.drops = measures.criterion_drops(definition, before_counts, counts, rate)
    if not report.previous.withheld:
        report.changes = measures.criterion_changes(definition, before_counts, counts, rate)


def whole_months(period: Period) -> Period:
    """A period as the disclosure rule reads it: a year, quarter or month as it is; a range
    of days widened to the whole months it touches."""
    if period.kind != "range":
        return period
    first = period.start.replace(day=1)
    after = (period.end.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Period(first, after - timedelta(days=1))


def _disclosed(source: Source, unit: Unit, below: dict[int, frozenset[int]], period: Period,
               minimum: int) -> bool:
    """The disclosure rule on the unit's figures for ``period``: every month of every unit
    below it, and of the predecessors standing in for it, holds none or ``minimum`` answers
    or more."""
    units = set(below[unit.id])
    for ancestor in ancestors(unit, period.start, period.end):
        units |= below[ancestor.unit.id]
    cells = month_cells(source.version_ids, units, period.months())
    return disclosure.disclosed(cells, minimum)


def _withheld(result: UnitResult, index: IndexDefinition, source: Source) -> UnitResult:
    empty = scoring.score(index.method, source.structure, {}, index.params or {})
    return replace(result, responses=0, score=empty, state=NO_DATA, coverage=None, low=None,
                   high=None, withheld=True)


#: The most comments a report shows.
COMMENT_LIMIT = 50


def recent_comments(source: Source, unit_ids, period: Period, *, by_month: bool = False,
                    with_accusations: bool = False) -> tuple[tuple[CommentGroup, ...], int]:
    """The latest comments of the period grouped by day (by month under the disclosure
    rule), sorted within a group so their order tells nothing, personal data masked; and
    how many comments about staff conduct were left for the inspector role."""
    start, end = local_bounds(period.start, period.end)
    rows = db.session.execute(
        sa.select(Response.submitted_at, Response.comment)
        .where(
            Response.unit_id.in_(sorted(unit_ids)),
            Response.questionnaire_version_id.in_(source.version_ids),
            Response.status == ResponseStatus.ACCEPTED.value,
            Response.comment.is_not(None),
            Response.submitted_at.between(start, end),
        )
        .order_by(Response.submitted_at.desc())
        .limit(COMMENT_LIMIT)
    ).all()
    groups: dict[date, list[str]] = {}
    for_inspector = 0
    for at, text in rows:
        if not with_accusations and accuses_staff(text):
            for_inspector += 1
            continue
        day = clock.local_day(at)
        key = day.replace(day=1) if by_month else day
        groups.setdefault(key, []).append(mask_personal_data(text))
    return tuple(CommentGroup(key, by_month, tuple(sorted(texts)))
                 for key, texts in groups.items()), for_inspector
