"""Index reports for a unit and a period, read from the per-day counts.

Roll-ups are computed from the counts of every unit below (answers, not averaged
percentages), then scored by the index's method (``indices.scoring``); the evidence about
each measure comes from ``indices.measures``, with the minimum answers and false-flag rate
of the index's alert rule, so that a report calls "below target" what an alert would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from satisfaction.accounts.access import Scope, require_index, require_unit
from satisfaction.alerts.rules import evidence_settings
from satisfaction.catalogue.lookup import Source, source_of
from satisfaction.clock import local_bounds
from satisfaction.counts.tallies import Month, tally
from satisfaction.db.catalogue import IndexDefinition, IndexTarget
from satisfaction.db.responses import Response, ResponseStatus
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.indices import measures, scoring, statistics
from satisfaction.indices.periods import Period
from satisfaction.reporting.coverage import Coverage, Intake, intake
from satisfaction.units.tree import subtrees

MEETS, BELOW, NO_DATA = "meets", "below", "no_data"


@dataclass(frozen=True)
class UnitResult:
    unit: Unit
    responses: int
    score: scoring.IndexScore
    target: float
    state: str
    #: Quarantined responses, dossiers, response rate, verified share (current period only).
    coverage: Coverage | None = None

    @property
    def value(self) -> float | None:
        return self.score.value


@dataclass(frozen=True)
class TrendPoint:
    month: Month
    responses: int
    value: float | None


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
    comments: tuple[tuple[object, str], ...] | None
    #: Per measure ("" the index, element and criterion codes): interval and state against
    #: the target, BH-adjusted across the measures; None for indices not scored as shares.
    evidence: dict[str, statistics.Assessment] | None = None
    #: Per direct unit: its satisfaction share shrunk toward the district (fair ranking).
    fair: dict[int, statistics.Shrunk] = field(default_factory=dict)
    #: Criteria whose share dropped significantly from the previous period (BH-adjusted p).
    drops: dict[str, float] = field(default_factory=dict)
    min_n: int = 30

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


def state_of(value: float | None, target: float) -> str:
    if value is None:
        return NO_DATA
    return MEETS if value >= target else BELOW


def _result(index, source, unit, tallies, subtree, target, months=None,
            figures: Intake | None = None) -> UnitResult:
    counts, responses = tallies.counts(subtree, months)
    score = scoring.score(index.method, source.structure, counts, index.params or {})
    return UnitResult(unit, responses, score, target, state_of(score.value, target),
                      figures.coverage(tallies, subtree) if figures else None)


def unit_report(
    scope: Scope,
    index_code: str,
    unit_code: str,
    period: Period,
    questionnaire_code: str | None = None,
    *,
    with_comments: bool = True,
) -> Report:
    """The full report of one unit (rolled up over the units below it) for a period."""
    index = require_index(scope, index_code)
    unit = require_unit(scope, unit_code)
    source = source_of(index, questionnaire_code)
    all_units = db.session.scalars(sa.select(Unit)).all()
    below = subtrees(all_units)
    subtree = below[unit.id]
    visible_children = [
        child for child in all_units
        if child.parent_id == unit.id and scope.sees_unit(child.id)
    ]
    current = tally(source.version_ids, subtree, period)
    before = tally(source.version_ids, subtree, period.previous())
    figures = intake(source, subtree, period)
    own_targets = targets_for(index, [unit.id, *(c.id for c in visible_children)])
    target = own_targets.get(unit.id, index.target)

    result = _result(index, source, unit, current, subtree, target, figures=figures)
    previous = _result(index, source, unit, before, subtree, target)
    trend = []
    for month in period.months():
        counts, responses = current.counts(subtree, [month])
        value = scoring.score(index.method, source.structure, counts, index.params or {}).value
        trend.append(TrendPoint(month, responses, value))
    children = tuple(
        sorted(
            (
                _result(index, source, child, current, below[child.id],
                        own_targets.get(child.id, index.target), figures=figures)
                for child in visible_children
            ),
            key=lambda r: (r.value is None, -(r.value or 0), r.unit.code),
        )
    )
    comments = None
    if with_comments and scope.personal_data:
        comments = recent_comments(source, subtree, period)
    report = Report(index, source, unit, period, result, previous, tuple(trend), children,
                    measures.lowest_items(result.score), comments)
    if index.method == "top_two_box":
        min_n, rate = evidence_settings(index)
        counts, _ = current.counts(subtree)
        report.evidence = measures.assess_measures(source.definition, counts, target / 100,
                                                   min_n, rate)
        report.min_n = min_n
        shares = [measures.respondent_share(current.counts(below[c.unit.id])[0])
                  for c in children]
        if children:
            report.fair = {c.unit.id: shrunk for c, shrunk in
                           zip(children, statistics.shrink(shares), strict=True)}
        before_counts, _ = before.counts(subtree)
        report.drops = measures.criterion_drops(source.definition, before_counts, counts, rate)
    return report


def recent_comments(source: Source, unit_ids, period: Period, limit: int = 50):
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
        .limit(limit)
    ).all()
    return tuple((at, text) for at, text in rows)

