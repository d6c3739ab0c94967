"""Where a unit's history comes from before it existed: its predecessors (and theirs), each
with the share of it that passed down, and the days each one stands in for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from satisfaction.db.units import Unit

#: Reorganisations followed back at most this far (a loop in bad data stops here).
MAX_GENERATIONS = 10


@dataclass(frozen=True)
class Ancestor:
    unit: Unit
    #: The share of the ancestor carried into the unit (the product along the chain).
    share: float
    #: The days (inclusive) on which the ancestor stands in for the unit.
    start: date
    end: date

    @property
    def is_estimate(self) -> bool:
        return self.share < 1


def ancestors(unit: Unit, start: date, end: date) -> list[Ancestor]:
    """The units whose answers stand in for ``unit`` on the days of ``start``–``end`` before
    it existed: its predecessors on their own days, and before them theirs."""
    found: list[Ancestor] = []
    _collect(unit, 1.0, start, end, found, 0)
    return found


def _collect(unit: Unit, share: float, start: date, end: date, found: list[Ancestor],
             generation: int) -> None:
    last = min(end, unit.valid_from - timedelta(days=1))
    if last < start or generation >= MAX_GENERATIONS:
        return
    for link in unit.predecessors:
        predecessor = link.predecessor
        first = max(start, predecessor.valid_from)
        until = min(last, predecessor.valid_to or last)
        carried = share * link.share
        if first <= until:
            found.append(Ancestor(predecessor, carried, first, until))
        _collect(predecessor, carried, start, last, found, generation + 1)
