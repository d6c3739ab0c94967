"""The official unit list, imported from CSV: provinces and cities, their departments,
wards, communes and special zones, with the dates each existed and, for a unit made by a
reorganisation, its predecessors and the share of each that passed to it.

Columns (a header row, UTF-8, comma, semicolon or tab; dates YYYY-MM-DD or DD/MM/YYYY)::

    code,name_vi,name_en,kind,parent,valid_from,valid_to,successor,predecessors,email

- ``code`` (required): the unit's code, letters, digits, ``.``, ``_`` and ``-``;
- ``name_vi`` (required), ``name_en`` (optional, the Vietnamese name when empty);
- ``kind`` (required): province, city, district, office, ward, commune, special_zone;
- ``parent``: the code of the unit above (in the file or already stored);
- ``valid_from`` (required), ``valid_to`` (empty while the unit exists);
- ``successor``: for a unit that ends, where its counters go; when empty, the unit that
  took the largest share of it;
- ``predecessors``: for a unit made by a reorganisation, ``CODE`` or ``CODE:share``
  separated by ``;`` — a whole unit merged in is ``CODE`` (share 1), a unit split between
  several is ``CODE:0.4`` (the share, by population or dossiers, that passed to this one);
- ``email``: where its alerts are sent.

The import is idempotent (a unit is found by its code; running the same file again changes
nothing) and all-or-nothing: every bad row is reported with its line, and an import that
would leave counters, QR codes, staff accounts or an index's owner office on a unit that
ends with no successor stores nothing and says which. Counters of a unit whose end date has
passed move to its successor with the staff and index ownerships attached to it
(``move_to_successors``, also run daily by ``flask units apply``); their QR codes keep
working, and in the days before they move they already answer for the successor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from satisfaction import clock
from satisfaction.csvimport import (
    ImportRefused,
    ImportResult,
    RowError,
    data_rows,
    decode,
    parse_day,
    read_header,
)
from satisfaction.db.accounts import AuditEntry, Role, User
from satisfaction.db.catalogue import IndexDefinition
from satisfaction.db.codes import QrToken
from satisfaction.db.units import Counter, Unit, UnitKind, UnitLineage
from satisfaction.extensions import db
from satisfaction.units.tree import in_display_order

COLUMNS = ("code", "name_vi", "name_en", "kind", "parent", "valid_from", "valid_to",
           "successor", "predecessors", "email")
REQUIRED_COLUMNS = ("code", "name_vi", "kind", "valid_from")
#: The country has about 3,300 units at the level below the province; a list ten times
#: larger is a mistake.
MAX_ROWS = 50_000
#: The upload limit of the import page: MAX_ROWS rows of long names fit.
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_SHARE_TOLERANCE = 1e-6
#: The level below the province since 1 July 2025: a merger keeps its accounts' level.
GRASSROOTS = frozenset({UnitKind.WARD, UnitKind.COMMUNE, UnitKind.SPECIAL_ZONE})
UNIT_SCOPED_ROLES = frozenset({Role.UNIT_MANAGER, Role.INDEX_OWNER})


@dataclass
class UnitImportResult(ImportResult):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Counters moved to the successor of a unit that has ended.
    moved_counters: int = 0
    #: Unit managers left on a unit that ended, its successor being of another level (a
    #: district's manager would otherwise manage the whole city): to reassign by hand.
    staff_to_reassign: list[str] = field(default_factory=list)
    #: What the import would have left on a unit that ends with nowhere to go.
    orphans: list[Orphan] = field(default_factory=list)


@dataclass(frozen=True)
class Orphan:
    unit: str
    #: "counters", "qr_codes", "staff", "index_owner" or "open_units".
    what: str
    #: How many (or, for an index, its code).
    detail: str

    @property
    def text(self) -> str:
        """In English, for the command line and the logs (the page translates ``what``)."""
        return {
            "counters": f"{self.detail} counter(s)", "qr_codes": f"{self.detail} QR code(s)",
            "staff": f"{self.detail} staff account(s)",
            "index_owner": f"owner office of {self.detail}, to which its alerts report",
            "open_units": f"{self.detail} unit(s) below it that do not end",
        }[self.what]


@dataclass(frozen=True)
class _Row:
    line: int
    code: str
    name_vi: str
    name_en: str
    kind: str
    parent: str
    valid_from: date
    valid_to: date | None
    successor: str
    predecessors: tuple[tuple[str, float], ...]
    email: str | None


def import_units(data: bytes, *, user_id: int | None = None,
                 today: date | None = None) -> UnitImportResult:
    """Check every row and the list as a whole, then store it (all of it, or nothing).
    Only flushes; the caller commits, or rolls back when the result has errors."""
    result = UnitImportResult()
    existing = {unit.code: unit for unit in db.session.scalars(
        sa.select(Unit).options(selectinload(Unit.predecessors), selectinload(Unit.counters)))}
    rows = _read(decode(data), result, existing)
    if not result.rows:
        raise ImportRefused("no_rows")
    successors: dict[str, str] = {}
    if not result.errors:
        _check_references(rows, existing, result)
    if not result.errors:
        successors = _successors(rows, existing)
        _check_successors(rows, existing, successors, result)
    if result.errors:
        result.errors.sort(key=lambda error: error.line)
        return result
    result.orphans = _orphans(rows, existing, successors)
    if result.orphans:
        by_unit: dict[str, list[str]] = {}
        for orphan in result.orphans:
            by_unit.setdefault(orphan.unit, []).append(orphan.text)
        result.errors.append(RowError(0, "orphans", "; ".join(
            f"{unit}: {', '.join(texts)}" for unit, texts in by_unit.items())))
        return result
    _store(rows, existing, successors, result)
    result.stored = result.created + result.updated
    moved = move_to_successors(today or clock.today(), user_id=user_id)
    result.moved_counters, result.staff_to_reassign = moved.counters, moved.staff_left
    db.session.add(AuditEntry(user_id=user_id, action="units.import", subject="", details={
        "rows": result.rows, "created": result.created, "updated": result.updated,
        "unchanged": result.unchanged, "moved_counters": result.moved_counters}))
    db.session.flush()
    return result


def _read(text: str, result: UnitImportResult, existing: dict[str, Unit]) -> list[_Row]:
    reader, header = read_header(text, COLUMNS, REQUIRED_COLUMNS)
    present = set(header)
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for line, cells in data_rows(reader, header, result, MAX_ROWS):
        row = _check_row(line, _completed(cells, present, existing.get(cells["code"])), seen,
                         result.errors)
        if row is not None:
            rows.append(row)
    return rows


def _completed(cells: dict[str, str], present: set[str], stored: Unit | None
               ) -> dict[str, str]:
    """The row's cells, with the stored unit's values for the columns the file leaves out
    (a list of names alone renames units; it does not reopen them or cut their links).
    The successor is not among them: without the column, the unit that takes the largest
    share is chosen again, else the stored successor stays (``_successors``)."""
    if stored is None:
        return cells
    kept = {
        "name_en": stored.name_en,
        "parent": stored.parent.code if stored.parent else "",
        "valid_to": stored.valid_to.isoformat() if stored.valid_to else "",
        "predecessors": ";".join(f"{link.predecessor.code}:{link.share}"
                                 for link in stored.predecessors),
        "email": stored.email or "",
    }
    return {**{name: value for name, value in kept.items() if name not in present}, **cells}


def _check_row(line: int, cells: dict[str, str], seen: dict[str, int],
               errors: list[RowError]) -> _Row | None:
    problems = []
    code = cells["code"]
    if not _CODE.fullmatch(code):
        problems.append(RowError(line, "bad_code", code[:60]))
    elif code in seen:
        problems.append(RowError(line, "duplicate_code", str(seen[code])))
    else:
        seen[code] = line
    if not cells["name_vi"]:
        problems.append(RowError(line, "missing_name", code))
    kind = cells["kind"].lower()
    if kind not in {k.value for k in UnitKind}:
        problems.append(RowError(line, "bad_kind", cells["kind"][:60]))
    valid_from = parse_day(cells["valid_from"])
    if valid_from is None:
        problems.append(RowError(line, "bad_date", cells["valid_from"][:60]))
    valid_to = None
    if cells.get("valid_to"):
        valid_to = parse_day(cells["valid_to"])
        if valid_to is None:
            problems.append(RowError(line, "bad_date", cells["valid_to"][:60]))
        elif valid_from and valid_to < valid_from:
            problems.append(RowError(line, "ends_before_it_starts",
                                     f"{valid_to.isoformat()} < {valid_from.isoformat()}"))
    predecessors = _predecessors(line, cells.get("predecessors", ""), problems)
    if problems:
        errors.extend(problems)
        return None
    return _Row(line, code, cells["name_vi"], cells.get("name_en") or cells["name_vi"], kind,
                cells.get("parent", ""), valid_from, valid_to, cells.get("successor", ""),
                predecessors, cells.get("email") or None)


def _predecessors(line: int, raw: str, problems: list[RowError]
                  ) -> tuple[tuple[str, float], ...]:
    result = []
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        code, _, share_text = part.partition(":")
        try:
            share = float(share_text.replace(",", ".")) if share_text.strip() else 1.0
        except ValueError:
            share = -1.0
        if not 0 < share <= 1:
            problems.append(RowError(line, "bad_share", part[:60]))
            continue
        result.append((code.strip(), share))
    return tuple(result)


def _check_references(rows: list[_Row], existing: dict[str, Unit],
                      result: UnitImportResult) -> None:
    """Parents, successors and predecessors that exist, dates that follow each other,
    shares of a predecessor that add up to at most 1, no unit above itself."""
    by_code = {row.code: row for row in rows}

    def dates(code: str) -> tuple[date, date | None] | None:
        return _dates(code, by_code, existing)

    given: dict[str, float] = {}
    for row in rows:
        for code, what in ((row.parent, "unknown_parent"), (row.successor, "unknown_successor")):
            if code and dates(code) is None:
                result.errors.append(RowError(row.line, what, code))
        for code, share in row.predecessors:
            known = dates(code)
            if known is None:
                result.errors.append(RowError(row.line, "unknown_predecessor", code))
            elif known[1] is None or known[1] >= row.valid_from:
                result.errors.append(RowError(row.line, "predecessor_still_exists", code))
            given[code] = given.get(code, 0.0) + share
    for row in rows:
        for code, _share in row.predecessors:
            if given.get(code, 0.0) > 1 + _SHARE_TOLERANCE:
                result.errors.append(RowError(row.line, "shares_over_one",
                                              f"{code} {given[code]:.3g}"))
    for row in rows:
        if _parent_loop(row.code, by_code, existing):
            result.errors.append(RowError(row.line, "parent_loop", row.code))


def _dates(code: str, by_code: dict[str, _Row], existing: dict[str, Unit]
           ) -> tuple[date, date | None] | None:
    """A unit's first and last day, the file's values first; None if it is unknown."""
    if code in by_code:
        return by_code[code].valid_from, by_code[code].valid_to
    unit = existing.get(code)
    return (unit.valid_from, unit.valid_to) if unit else None


def _check_successors(rows: list[_Row], existing: dict[str, Unit],
                      successors: dict[str, str], result: UnitImportResult) -> None:
    """The successor of a unit that ends (given, taken by the largest share, or stored) is
    in force on the day after the end: otherwise its codes would answer for nobody."""
    by_code = {row.code: row for row in rows}
    for row in rows:
        successor = successors.get(row.code)
        if not successor or row.valid_to is None:
            continue
        first, last = _dates(successor, by_code, existing)
        day_after = row.valid_to + timedelta(days=1)
        if successor == row.code or not (
                first <= day_after and (last is None or last >= day_after)):
            result.errors.append(RowError(row.line, "successor_not_in_force", successor))


def _parent_loop(code: str, by_code: dict[str, _Row], existing: dict[str, Unit]) -> bool:
    seen, current = set(), code
    while current:
        if current in seen:
            return True
        seen.add(current)
        if current in by_code:
            current = by_code[current].parent
        elif current in existing and existing[current].parent_id is not None:
            current = existing[current].parent.code
        else:
            return False
    return False


def _successors(rows: list[_Row], existing: dict[str, Unit]) -> dict[str, str]:
    """Code of a unit that ends -> code of the unit its counters go to: the ``successor``
    column, else the unit that took the largest share of it (ties: the lowest code), else
    the successor already stored."""
    takers: dict[str, list[tuple[float, str]]] = {}
    for row in rows:
        for code, share in row.predecessors:
            takers.setdefault(code, []).append((share, row.code))
    result = {}
    for row in rows:
        if row.valid_to is None:
            continue
        chosen = row.successor
        if not chosen and row.code in takers:
            chosen = min(takers[row.code], key=lambda taker: (-taker[0], taker[1]))[1]
        if not chosen and row.code in existing and existing[row.code].successor is not None:
            chosen = existing[row.code].successor.code
        if chosen:
            result[row.code] = chosen
    return result


def _orphans(rows: list[_Row], existing: dict[str, Unit], successors: dict[str, str]
             ) -> list[Orphan]:
    """What would be left on a unit that ends with nowhere to go: active counters and their
    working QR codes, active staff, the indices it owns, and units below it that do not
    end."""
    ending = {existing[row.code].id: row.code for row in rows
              if row.valid_to is not None and row.code in existing
              and row.code not in successors}
    if not ending:
        return []
    ids = list(ending)
    found: list[Orphan] = []
    for unit_id, n in db.session.execute(
        sa.select(Counter.unit_id, sa.func.count()).where(
            Counter.unit_id.in_(ids), Counter.is_active.is_(True)).group_by(Counter.unit_id)
    ):
        found.append(Orphan(ending[unit_id], "counters", str(n)))
    for unit_id, n in db.session.execute(
        sa.select(Counter.unit_id, sa.func.count()).join(QrToken).where(
            Counter.unit_id.in_(ids), Counter.is_active.is_(True),
            QrToken.revoked_at.is_(None), QrToken.replaced_by_id.is_(None))
        .group_by(Counter.unit_id)
    ):
        found.append(Orphan(ending[unit_id], "qr_codes", str(n)))
    for unit_id, n in db.session.execute(
        sa.select(User.unit_id, sa.func.count()).where(
            User.unit_id.in_(ids), User.is_active.is_(True)).group_by(User.unit_id)
    ):
        found.append(Orphan(ending[unit_id], "staff", str(n)))
    for unit_id, index_code in db.session.execute(
        sa.select(IndexDefinition.owner_unit_id, IndexDefinition.code).where(
            IndexDefinition.owner_unit_id.in_(ids))
    ):
        found.append(Orphan(ending[unit_id], "index_owner", index_code))
    found += _open_below(rows, existing, ending)
    order = ("counters", "qr_codes", "staff", "index_owner", "open_units")
    return sorted(found, key=lambda orphan: (orphan.unit, order.index(orphan.what)))


def _open_below(rows: list[_Row], existing: dict[str, Unit], ending: dict[int, str]
                ) -> list[Orphan]:
    """Units that would stay open under a unit that ends (the file's values first)."""
    in_file = {row.code: row for row in rows}
    ending_codes = set(ending.values())
    open_below: dict[str, int] = {}
    for code in in_file.keys() | existing.keys():
        row, unit = in_file.get(code), existing.get(code)
        parent = row.parent if row else (unit.parent.code if unit.parent else "")
        ends = row.valid_to if row else unit.valid_to
        if parent in ending_codes and ends is None:
            open_below[parent] = open_below.get(parent, 0) + 1
    return [Orphan(code, "open_units", str(n)) for code, n in open_below.items()]


def _store(rows: list[_Row], existing: dict[str, Unit], successors: dict[str, str],
           result: UnitImportResult) -> None:
    units = dict(existing)
    for row in rows:
        unit = units.get(row.code)
        if unit is None:
            unit = units[row.code] = Unit(code=row.code)
            db.session.add(unit)
            result.created += 1
        elif _differs(unit, row, successors):
            result.updated += 1
        else:
            result.unchanged += 1
        unit.name_vi, unit.name_en, unit.kind = row.name_vi, row.name_en, row.kind
        unit.valid_from, unit.valid_to, unit.email = row.valid_from, row.valid_to, row.email
    # The new units get their ids before they point at each other (a parent and a successor
    # in both directions would otherwise be a cycle for the unit of work).
    db.session.flush()
    for row in rows:
        unit = units[row.code]
        unit.parent = units[row.parent] if row.parent else None
        successor = successors.get(row.code)
        unit.successor = units[successor] if successor else None
        wanted = {code: share for code, share in row.predecessors}
        for link in list(unit.predecessors):
            if link.predecessor.code not in wanted:
                unit.predecessors.remove(link)
                db.session.delete(link)
            else:
                link.share = wanted.pop(link.predecessor.code)
        for code, share in wanted.items():
            unit.predecessors.append(UnitLineage(predecessor=units[code], share=share))
    db.session.flush()


def _differs(unit: Unit, row: _Row, successors: dict[str, str]) -> bool:
    links = {(link.predecessor.code, round(link.share, 9)) for link in unit.predecessors}
    return (
        (unit.name_vi, unit.name_en, unit.kind, unit.valid_from, unit.valid_to, unit.email)
        != (row.name_vi, row.name_en, row.kind, row.valid_from, row.valid_to, row.email)
        or (unit.parent.code if unit.parent else "") != row.parent
        or (unit.successor.code if unit.successor else "") != successors.get(row.code, "")
        or links != {(code, round(share, 9)) for code, share in row.predecessors}
    )


@dataclass
class Moved:
    counters: int = 0
    #: Unit managers and index owners left where they were (their successor is not at
    #: the same level).
    staff_left: list[str] = field(default_factory=list)


def move_to_successors(today: date, *, user_id: int | None = None) -> Moved:
    """Everything still attached to a unit that has ended (before ``today``) moves to its
    successor in force, following a chain of successors: active counters with their QR
    codes (a counter whose code the successor already uses takes the old unit's code as a
    prefix), staff accounts, and the ownership of indices.

    An account whose access follows its unit (a unit manager, an index owner) moves only
    from a ward, commune or special zone to another: the manager of a district, or of a
    district's office, would otherwise see the whole city or own a city department's
    index. They stay, seeing what they saw before, and are listed to be reassigned.
    Deactivated accounts stay where they are."""
    moved = Moved()
    ended = db.session.scalars(sa.select(Unit).where(
        Unit.valid_to < today, Unit.successor_id.is_not(None)).order_by(Unit.code)).all()
    for unit in ended:
        target = _in_force(unit, today)
        if target is None:
            continue
        for counter in [c for c in unit.counters if c.is_active]:
            _move_counter(counter, unit, target, user_id)
            moved.counters += 1
        for user in db.session.scalars(sa.select(User).where(
                User.unit_id == unit.id, User.is_active.is_(True)).order_by(User.email)):
            if user.role in UNIT_SCOPED_ROLES and not (
                    unit.kind in GRASSROOTS and target.kind in GRASSROOTS):
                moved.staff_left.append(user.email)
                continue
            user.unit_id = target.id
            db.session.add(AuditEntry(user_id=user_id, action="user.move", subject=user.email,
                                      details={"from": unit.code, "to": target.code}))
        for index in db.session.scalars(
                sa.select(IndexDefinition).where(IndexDefinition.owner_unit_id == unit.id)):
            index.owner_unit_id = target.id
            db.session.add(AuditEntry(user_id=user_id, action="index.owner", subject=index.code,
                                      details={"from": unit.code, "to": target.code}))
    db.session.flush()
    return moved


def _move_counter(counter: Counter, unit: Unit, target: Unit, user_id: int | None) -> None:
    taken = {c.code for c in target.counters}
    old_code = counter.code
    if counter.code in taken:
        counter.code = f"{unit.code}-{counter.code}"[:32]
        counter.name_vi = f"{counter.name_vi} ({unit.name_vi})"[:200]
        counter.name_en = f"{counter.name_en} ({unit.name_en})"[:200]
    counter.unit = target
    db.session.add(AuditEntry(user_id=user_id, action="counter.move",
                              subject=f"counter:{counter.id}", details={
                                  "from": unit.code, "to": target.code,
                                  "old_code": old_code, "code": counter.code}))


def _in_force(unit: Unit, day: date) -> Unit | None:
    """The unit's successor in force on ``day``, following a chain of successors."""
    current, steps = unit.successor, 0
    while current is not None and steps < 20:
        if current.is_active_on(day):
            return current
        current, steps = current.successor, steps + 1
    return None


def listing() -> list[Unit]:
    """Every unit with its parent, successor and predecessors, in display order."""
    units = db.session.scalars(sa.select(Unit).options(
        selectinload(Unit.predecessors).selectinload(UnitLineage.predecessor))).all()
    return in_display_order(units)
