"""Who may see what, and who may do what. Every query for results goes through a ``Scope``
made here, and every permission check asks it (``scope.may(...)``, ``scope.require(...)``).

- admin and reviewer: every unit, every index;
- index owner (an office): every unit, the indices that office owns;
- unit manager: their unit and the units below it, every index;
- observer (the Fatherland Front): every unit, SIPAS only, no personal data, read only;
- inspector: every unit, every index, read only, and the answers that accuse staff.

What each role may change is ``PERMISSIONS``; the CLI runs as ``SYSTEM_SCOPE``.

Below the reviewing office (unit managers, observers) one disclosure rule applies to every
figure: a figure is shown only if each of its cells (a unit's answers in a calendar month)
holds none or at least ``DISCLOSURE_MIN_ANSWERS`` (5) answers, and only for whole months,
quarters and years. Any two figures then differ by whole cells, so no difference between
them (a period minus a shorter one, a unit minus its other units) reveals fewer than 5
people's answers (``indices.disclosure``). Comments are shown to them by month, not by day.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from werkzeug.exceptions import Forbidden, NotFound

from satisfaction.db.accounts import Role, User
from satisfaction.db.catalogue import IndexDefinition
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.units.tree import descendants

OBSERVER_INDICES = frozenset({"sipas"})


class Permission(enum.StrEnum):
    #: Change data at all: paper forms, dossier lists, remedies (observers never).
    WRITE = "write"
    #: Issue, rotate, revoke and relabel QR codes; a counter's dossier mode.
    MANAGE_CODES = "manage_codes"
    #: Add and switch off alert rules.
    MANAGE_RULES = "manage_rules"
    #: Import the official unit list (it moves counters, staff and index owners).
    MANAGE_UNITS = "manage_units"
    #: Release or reject quarantined answers. Not a unit's own staff: the list shows each
    #: answer with its counter and minute, and the public page promises that staff at the
    #: counter cannot see answers.
    REVIEW_QUARANTINE = "review_quarantine"
    #: List staff accounts, disable and enable them, change roles, give new passwords.
    MANAGE_USERS = "manage_users"
    #: Download one row per response (every answer, the day and the counter): the
    #: reviewing office and administrators only, and each download is in the audit log.
    READ_RESPONSES = "read_responses"
    #: Run the alerts check from the alerts page (the CLI's `flask alerts check`).
    RUN_CHECKS = "run_checks"
    #: Read the answers and comments that accuse staff (harassment, payments outside the
    #: rules), which are kept from the head of the unit concerned.
    INSPECT = "inspect"


PERMISSIONS: dict[str, frozenset[Permission]] = {
    # Everything but reading the answers that accuse staff: the inspector's alone.
    Role.ADMIN: frozenset(Permission) - {Permission.INSPECT},
    Role.REVIEWER: frozenset({Permission.WRITE, Permission.REVIEW_QUARANTINE,
                              Permission.READ_RESPONSES}),
    Role.INDEX_OWNER: frozenset({Permission.WRITE, Permission.MANAGE_RULES,
                                 Permission.REVIEW_QUARANTINE}),
    Role.UNIT_MANAGER: frozenset({Permission.WRITE}),
    Role.OBSERVER: frozenset(),
    Role.INSPECTOR: frozenset({Permission.INSPECT}),
}

#: The roles below the reviewing office, to whom the disclosure rule applies.
DISCLOSURE_ROLES = frozenset({Role.UNIT_MANAGER, Role.OBSERVER})
#: The fewest answers a cell may hold to be shown to them (none is also fine).
DISCLOSURE_MIN_ANSWERS = 5

#: Questions whose answers accuse staff (QĐ 1001: harassment, money paid outside the
#: rules), by questionnaire: only the inspector role reads them.
STAFF_ACCUSATION_ITEMS: dict[str, frozenset[str]] = {"sipas-1001": frozenset({"H1", "H2"})}


@dataclass(frozen=True)
class Scope:
    role: str
    user_id: int | None
    #: Units the user may see; None means all.
    unit_ids: frozenset[int] | None
    #: Indices the user may see; None means all.
    index_codes: frozenset[str] | None
    #: May read free text (comments), which can hold names and phone numbers.
    personal_data: bool
    #: What the user may change (see ``PERMISSIONS``).
    permissions: frozenset[Permission]
    #: The disclosure rule's minimum answers per cell; None: no rule (the reviewing office).
    disclosure_minimum: int | None = None

    def sees_unit(self, unit_id: int) -> bool:
        return self.unit_ids is None or unit_id in self.unit_ids

    def sees_index(self, code: str) -> bool:
        return self.index_codes is None or code in self.index_codes

    def unit_filter(self, column):
        """A WHERE clause restricting ``column`` (a unit id column) to visible units."""
        return sa.true() if self.unit_ids is None else column.in_(sorted(self.unit_ids))

    def may(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        """403 unless the user has ``permission``."""
        if not self.may(permission):
            raise Forbidden()


#: The CLI runs as the system: it sees every unit and index and may do everything.
SYSTEM_SCOPE = Scope("system", None, None, None, True, frozenset(Permission))


def scope_for(user: User) -> Scope:
    role = user.role
    minimum = DISCLOSURE_MIN_ANSWERS if role in DISCLOSURE_ROLES else None
    if role in (Role.ADMIN, Role.REVIEWER, Role.INSPECTOR):
        return Scope(role, user.id, None, None, True, PERMISSIONS[role])
    if role == Role.INDEX_OWNER:
        owned = frozenset(
            db.session.scalars(
                sa.select(IndexDefinition.code).where(
                    IndexDefinition.owner_unit_id == user.unit_id
                )
            )
        )
        return Scope(role, user.id, None, owned, True, PERMISSIONS[role])
    if role == Role.UNIT_MANAGER and user.unit_id is not None:
        return Scope(role, user.id, descendants(user.unit_id), None, True, PERMISSIONS[role],
                     minimum)
    if role == Role.OBSERVER:
        return Scope(role, user.id, None, OBSERVER_INDICES, False, PERMISSIONS[role], minimum)
    # A unit manager without a unit sees nothing rather than everything.
    return Scope(role, user.id, frozenset(), frozenset(), False, frozenset(),
                 DISCLOSURE_MIN_ANSWERS)


def require_unit(scope: Scope, code: str) -> Unit:
    """The unit with ``code`` if the scope may see it; 404 otherwise (an id typed into the
    URL does not even reveal that the unit exists)."""
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == code))
    if unit is None or not scope.sees_unit(unit.id):
        raise NotFound()
    return unit


def require_index(scope: Scope, code: str) -> IndexDefinition:
    index = db.session.scalar(sa.select(IndexDefinition).where(IndexDefinition.code == code))
    if index is None:
        raise NotFound()
    if not scope.sees_index(index.code):
        raise Forbidden()
    return index


def visible_units(scope: Scope) -> list[Unit]:
    return list(
        db.session.scalars(
            sa.select(Unit).where(scope.unit_filter(Unit.id)).order_by(Unit.kind, Unit.code)
        )
    )


def visible_indices(scope: Scope) -> list[IndexDefinition]:
    query = sa.select(IndexDefinition).order_by(IndexDefinition.position)
    if scope.index_codes is not None:
        query = query.where(IndexDefinition.code.in_(sorted(scope.index_codes)))
    return list(db.session.scalars(query))
