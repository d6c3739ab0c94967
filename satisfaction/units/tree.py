"""The unit tree: who is below whom. Trees may be deep after mergers, so walks are
iterative, never recursive."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from satisfaction.db.units import Unit, UnitKind
from satisfaction.extensions import db

#: How units are listed: the province or city, then districts, then wards, communes and
#: special zones, then offices.
DISPLAY_ORDER = (UnitKind.PROVINCE, UnitKind.CITY, UnitKind.DISTRICT, UnitKind.WARD,
                 UnitKind.COMMUNE, UnitKind.SPECIAL_ZONE, UnitKind.OFFICE)


def descendants(unit_id: int, units: Iterable[Unit] | None = None) -> frozenset[int]:
    """The unit and every unit below it."""
    if units is None:
        units = db.session.scalars(sa.select(Unit)).all()
    children: dict[int | None, list[int]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit.id)
    found, stack = set(), [unit_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return frozenset(found)


def subtrees(units: Iterable[Unit]) -> dict[int, frozenset[int]]:
    """Every unit's subtree (itself and all below), computed in one pass over the tree."""
    units = list(units)
    children: dict[int | None, list[int]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit.id)
    result: dict[int, frozenset[int]] = {}

    def walk(unit_id: int) -> frozenset[int]:
        # Iterative post-order: trees may be deep after mergers, recursion is avoided.
        stack, order = [unit_id], []
        while stack:
            current = stack.pop()
            order.append(current)
            stack.extend(children.get(current, ()))
        for current in reversed(order):
            if current not in result:
                below = set([current])
                for child in children.get(current, ()):
                    below |= result[child]
                result[current] = frozenset(below)
        return result[unit_id]

    for unit in units:
        if unit.id not in result:
            walk(unit.id)
    return result


def in_display_order(units: Iterable[Unit]) -> list[Unit]:
    """Units by kind (``DISPLAY_ORDER``), then code."""
    rank = {kind.value: position for position, kind in enumerate(DISPLAY_ORDER)}
    return sorted(units, key=lambda unit: (rank.get(unit.kind, len(rank)), unit.code))


def units_by_code(codes: Iterable[str]) -> dict[str, Unit]:
    """The units with these codes, by code (unknown codes are left out)."""
    query = sa.select(Unit).where(Unit.code.in_(list(codes)))
    return {unit.code: unit for unit in db.session.scalars(query)}
