"""How a unit's responses relate to the dossiers it handled: quarantined answers, the
response rate and the verified share, per unit of a report, in at most four grouped
queries whatever the number of units."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from satisfaction.catalogue.lookup import Source
from satisfaction.clock import local_bounds
from satisfaction.counts.tallies import Tallies
from satisfaction.db.counts import DossierDayCount, VerifiedDayCount
from satisfaction.db.responses import Dossier, Response, ResponseStatus
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.indices.periods import Period


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

    @property
    def more_answers_than_dossiers(self) -> bool:
        """A rate above 100 %: some answers are not about this period's dossiers (answers
        without a dossier code, or about another period's), said beside the figure."""
        return self.rate is not None and self.rate > 100


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
        accepted = tallies.unit_responses
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
