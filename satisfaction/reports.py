"""Index reports for a unit and a period, read from the per-day counts.

Roll-ups are computed from the counts of every unit below (answers, not averaged
percentages), then scored by the index's method in ``satisfaction.scoring``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from satisfaction.accounts.access import Scope, require_index, require_unit
from satisfaction.catalogue.lookup import Source, source_of
from satisfaction.clock import local_bounds
from satisfaction.counts.tallies import Tallies, tally
from satisfaction.db.catalogue import IndexDefinition, IndexTarget
from satisfaction.db.counts import (
    DossierDayCount,
    VerifiedDayCount,
)
from satisfaction.db.responses import Dossier, Response, ResponseStatus
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.indices import measures, scoring, statistics
from satisfaction.indices.periods import Period
from satisfaction.units.tree import subtrees

MEETS, BELOW, NO_DATA = "meets", "below", "no_data"

Month = tuple[int, int]


@dataclass(frozen=True)
class Coverage:
    """How a unit's responses relate to the dossiers it handled in a period."""

    #: Responses held back by the integrity checks (not in the index until released).
    quarantined: int
    #: Dossiers handled (returned, or received when not returned) by units with a list.
    dossiers: int
    #: Accepted responses whose dossier code is on the imported list.
    verified: int
    #: Percent: accepted responses ÷ dossiers handled; None without a dossier list.
    rate: float | None
    #: Percent: verified ÷ accepted responses; None without responses or a dossier list.
    verified_share: float | None


def coverage(
    unit_ids: Iterable[int],
    accepted: Mapping[int, int],
    quarantined: Mapping[int, int],
    verified: Mapping[int, int],
    dossiers: Mapping[int, int],
    listed: Iterable[int],
) -> Coverage:
    """Quarantined responses, response rate and verified share of a unit rolled up over
    ``unit_ids`` (itself and the units below), from per-unit counts of one period.

    A unit's responses enter the rate only if the unit handled dossiers on the imported
    list in the period, and the verified share only if a list was ever imported for it
    (``listed``): a ward whose list is missing would otherwise push a district's rate up
    and its verified share down. Without such units the figure is None ("no data"),
    never 0. The rate may exceed 100 % (responses about dossiers of another period).
    """
    units = set(unit_ids)
    listed = set(listed) & units
    with_dossiers = {u for u in units if dossiers.get(u, 0) > 0}
    handled = sum(dossiers[u] for u in with_dossiers)
    answered = sum(accepted.get(u, 0) for u in with_dossiers)
    checkable = sum(accepted.get(u, 0) for u in listed)
    confirmed = sum(verified.get(u, 0) for u in listed)
    return Coverage(
        quarantined=sum(quarantined.get(u, 0) for u in units),
        dossiers=handled,
        verified=confirmed,
        rate=100 * answered / handled if handled else None,
        verified_share=100 * confirmed / checkable if checkable else None,
    )


@dataclass
class Intake:
    """Per-unit counts of one period read from the responses and the dossier list, next to
    the per-day counts of the ``Tallies``."""

    quarantined: dict[int, int] = field(default_factory=dict)
    verified: dict[int, int] = field(default_factory=dict)
    dossiers: dict[int, int] = field(default_factory=dict)
    #: Units for which a dossier list was ever imported.
    listed: frozenset[int] = frozenset()

    def coverage(self, tallies: Tallies, unit_ids: Iterable[int]) -> Coverage:
        accepted = {u: sum(months.values()) for u, months in tallies.responses.items()}
        return coverage(unit_ids, accepted, self.quarantined, self.verified, self.dossiers,
                        self.listed)


def intake(source: Source, unit_ids: Iterable[int], period: Period) -> Intake:
    """At most four grouped queries for every unit of a report at once, whatever the
    number of units. Quarantined responses are few and have their own partial index;
    verified responses and dossiers come from per-day counts, and only where a dossier
    list exists."""
    units = sorted(set(unit_ids))
    result = Intake()
    if not units:
        return result
    start, end = local_bounds(period.start, period.end)
    in_report = (Response.questionnaire_version_id.in_(source.version_ids),
                 Response.submitted_at.between(start, end))
    result.quarantined = {unit_id: int(n) for unit_id, n in db.session.execute(
        sa.select(Response.unit_id, sa.func.count())
        # A literal, so that SQLite too uses the partial index "WHERE status = 'quarantined'".
        .where(Response.status == sa.literal_column(f"'{ResponseStatus.QUARANTINED.value}'"),
               Response.unit_id.in_(units), *in_report)
        .group_by(Response.unit_id)
    )}
    result.listed = frozenset(db.session.scalars(
        sa.select(Unit.id).where(
            Unit.id.in_(units),
            sa.exists().where(Dossier.unit_id == Unit.id),
        )
    ))
    if not result.listed:
        return result
    listed = sorted(result.listed)
    # Both from per-day counts (units x days), not from the responses and dossiers.
    result.verified = {unit_id: int(n) for unit_id, n in db.session.execute(
        sa.select(VerifiedDayCount.unit_id, sa.func.sum(VerifiedDayCount.count))
        .where(VerifiedDayCount.unit_id.in_(listed),
               VerifiedDayCount.questionnaire_version_id.in_(source.version_ids),
               VerifiedDayCount.day.between(period.start, period.end))
        .group_by(VerifiedDayCount.unit_id)
    )}
    # Handled in the period: returned in it, or received in it and not yet returned.
    result.dossiers = {unit_id: int(n) for unit_id, n in db.session.execute(
        sa.select(DossierDayCount.unit_id, sa.func.sum(DossierDayCount.count))
        .where(DossierDayCount.unit_id.in_(listed),
               DossierDayCount.day.between(period.start, period.end))
        .group_by(DossierDayCount.unit_id)
    )}
    return result


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


#: Used on reports when the index has no active alert rule.
DEFAULT_MIN_N, DEFAULT_RATE = 30, 0.05


def _rule_settings(index: IndexDefinition) -> tuple[int, float]:
    from satisfaction.db.alerts import AlertRule

    rule = db.session.scalar(sa.select(AlertRule).where(
        AlertRule.index_id == index.id, AlertRule.is_active.is_(True)).order_by(AlertRule.id))
    return (rule.min_n, rule.false_flag_rate) if rule else (DEFAULT_MIN_N, DEFAULT_RATE)


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
        min_n, rate = _rule_settings(index)
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

