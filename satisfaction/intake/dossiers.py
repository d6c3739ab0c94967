"""Dossier codes (mã hồ sơ) printed on one-stop receipts, and the dossier list imported
from the one-stop system.

Only a keyed hash of a code is ever stored, for responses and for the dossier list alike.

The list is a CSV with the columns ``code,unit,procedure_field,received_on,returned_on``
(``procedure_field`` and ``returned_on`` may be left out or empty). Dates are YYYY-MM-DD or
DD/MM/YYYY, as Vietnamese Excel writes them. A file with any bad row stores nothing, unless
``skip_bad`` is given; every bad row is reported with its line number, as for paper forms
(``intake.paper``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from satisfaction import clock
from satisfaction.accounts.access import Scope
from satisfaction.clock import utcnow
from satisfaction.counts.updates import add_to, dossier_day_key
from satisfaction.csvimport import (
    ImportRefused,
    ImportResult,
    RowError,
    chunks,
    data_rows,
    decode,
    parse_day,
    read_header,
)
from satisfaction.db.accounts import AuditEntry
from satisfaction.db.counts import DossierDayCount, VerifiedDayCount
from satisfaction.db.responses import Dossier, DossierClaim, Response, ResponseStatus
from satisfaction.db.units import ProcedureField, Unit
from satisfaction.extensions import db
from satisfaction.privacy import dossier_hash

#: Receipt codes of the one-stop systems: letters, digits, dots, dashes and slashes,
#: e.g. ``000.00.20.H29-221103-0012``.
_CODE = re.compile(r"[A-Z0-9](?:[A-Z0-9./-]{4,38})[A-Z0-9]")


def normalise_code(raw: str | None) -> str | None:
    """The canonical form of a typed dossier code (upper case, no spaces), or None when it
    cannot be a dossier code."""
    code = re.sub(r"\s+", "", raw or "").upper()
    return code if _CODE.fullmatch(code) else None


def hash_code(raw: str) -> str | None:
    code = normalise_code(raw)
    return dossier_hash(code) if code else None


def dossier_claimant(questionnaire_id: int, dossier_hash: str) -> str | None:
    """The submission key of the response that gave this dossier code, if any: the same
    key means this POST is a retry of that very response."""
    return db.session.scalar(
        sa.select(Response.submission_key)
        .join(DossierClaim, DossierClaim.response_id == Response.id)
        .where(DossierClaim.questionnaire_id == questionnaire_id,
               DossierClaim.dossier_hash == dossier_hash)
    )


def dossier_known(unit_id: int, dossier_hash: str) -> bool:
    """Whether the imported dossier list has this code for this unit."""
    return db.session.scalar(sa.select(sa.exists().where(
        Dossier.code_hash == dossier_hash, Dossier.unit_id == unit_id
    )))


#: A month of the whole district is a few tens of thousands of dossiers; a file ten times
#: larger is a mistake (a multi-year export) better split than stored in one request.
MAX_ROWS = 100_000
#: The upload limit of the import page: MAX_ROWS rows of the longest codes fit.
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
COLUMNS = ("code", "unit", "procedure_field", "received_on", "returned_on")
REQUIRED_COLUMNS = ("code", "unit", "received_on")
#: Values per ``IN (...)``: well below SQLite's and PostgreSQL's parameter limits.
CHUNK = 1000
#: Rows per INSERT statement of the bulk load.
INSERT_BATCH = 5000
#: How much of a rejected cell is echoed back in the error list.
DETAIL_LENGTH = 60



@dataclass
class DossierImportResult(ImportResult):
    #: Responses already stored whose dossier code this import confirmed.
    verified: int = 0

    @property
    def rejected(self) -> int:
        """Rows rejected (a row may have several problems)."""
        return len({error.line for error in self.errors})


def _short(value: str) -> str:
    return value if len(value) <= DETAIL_LENGTH else value[:DETAIL_LENGTH] + "…"


@dataclass(frozen=True)
class _Row:
    line: int
    code_hash: str
    unit_id: int
    procedure_field_id: int | None
    received_on: date
    returned_on: date | None


def import_dossiers(
    data: bytes,
    scope: Scope,
    *,
    skip_bad: bool = False,
    user_id: int | None = None,
    today: date | None = None,
    before_write: Callable[[], None] | None = None,
) -> DossierImportResult:
    """Check every row, store the good ones (all of them, or none if any is bad), then mark
    the stored responses whose dossier code is now on the list as verified.

    ``before_write`` is called once, just before the first write (the web request takes
    the SQLite writers' queue there, after the slow part: reading and checking). Only
    flushes; the caller commits, or rolls back when the result has errors and
    ``skip_bad`` is false.
    """
    reader, header = read_header(decode(data), COLUMNS, REQUIRED_COLUMNS)
    units = dict(db.session.execute(sa.select(Unit.code, Unit.id)).all())
    fields = dict(db.session.execute(sa.select(ProcedureField.code, ProcedureField.id)).all())
    today = today or clock.today()
    result = DossierImportResult()
    good: list[_Row] = []
    #: Hash -> the line where the code first appeared, to name it in a duplicate's error.
    seen: dict[str, int] = {}
    for line, cells in data_rows(reader, header, result, MAX_ROWS):
        row, problems = _check_row(line, cells, scope, units, fields, today, seen)
        if problems:
            result.errors.extend(problems)
        else:
            good.append(row)
    if not result.rows:
        raise ImportRefused("no_rows")
    good = _drop_known(good, result)
    result.errors.sort(key=lambda error: error.line)
    if result.errors and not skip_bad:
        return result
    if before_write is not None:
        before_write()
    _store(good)
    result.stored = len(good)
    result.verified = _verify_responses(good)
    db.session.add(AuditEntry(
        user_id=user_id, action="dossiers.import", subject="",
        details={"rows": result.rows, "stored": result.stored,
                 "rejected": result.rejected, "verified_responses": result.verified,
                 "skip_bad": skip_bad},
    ))
    db.session.flush()
    return result


def _check_row(line: int, cells: dict[str, str], scope: Scope, units: dict[str, int],
               fields: dict[str, int], today: date,
               seen: dict[str, int]) -> tuple[_Row | None, list[RowError]]:
    """The row to store, or the problems that keep it out."""
    problems = []
    code = normalise_code(cells["code"])
    code_hash = dossier_hash(code) if code else None
    if code_hash is None:
        problems.append(RowError(line, "bad_code", _short(cells["code"])))
    elif code_hash in seen:
        problems.append(RowError(line, "duplicate_code", str(seen[code_hash])))
    else:
        seen[code_hash] = line
    unit_id = units.get(cells["unit"])
    if unit_id is None or not scope.sees_unit(unit_id):
        # One message for both: a unit outside the user's scope is not revealed.
        problems.append(RowError(line, "unknown_unit", _short(cells["unit"])))
    field_code = cells.get("procedure_field", "")
    if field_code and field_code not in fields:
        problems.append(RowError(line, "bad_procedure_field", _short(field_code)))
    received = parse_day(cells["received_on"])
    if received is None:
        problems.append(RowError(line, "bad_date", _short(cells["received_on"])))
    returned = None
    if cells.get("returned_on"):
        returned = parse_day(cells["returned_on"])
        if returned is None:
            problems.append(RowError(line, "bad_date", _short(cells["returned_on"])))
    for day, raw in ((received, cells["received_on"]), (returned, cells.get("returned_on", ""))):
        if day and day > today:
            problems.append(RowError(line, "future_date", raw))
    if received and returned and returned < received:
        problems.append(RowError(line, "returned_before_received",
                                 f"{returned.isoformat()} < {received.isoformat()}"))
    if problems:
        return None, problems
    return _Row(line, code_hash, unit_id, fields.get(field_code) or None, received,
                returned), []


def _drop_known(good: list[_Row], result: DossierImportResult) -> list[_Row]:
    """The rows whose codes were not imported before; the others become errors. Looked up
    in chunks: one indexed query per thousand rows."""
    known: set[str] = set()
    for chunk in chunks([row.code_hash for row in good], CHUNK):
        known.update(db.session.scalars(
            sa.select(Dossier.code_hash).where(Dossier.code_hash.in_(chunk))))
    if not known:
        return good
    result.errors.extend(
        RowError(row.line, "already_imported") for row in good if row.code_hash in known)
    return [row for row in good if row.code_hash not in known]


def _store(rows: list[_Row]) -> None:
    imported_at = utcnow()
    try:
        # Core inserts in batches: one ORM object per row costs ten times more at 50,000.
        for batch in chunks(rows, INSERT_BATCH):
            db.session.execute(sa.insert(Dossier), [
                {"code_hash": row.code_hash, "unit_id": row.unit_id,
                 "procedure_field_id": row.procedure_field_id, "received_on": row.received_on,
                 "returned_on": row.returned_on, "imported_at": imported_at}
                for row in batch
            ])
    except IntegrityError as exc:
        # Another import stored some of these codes after our check: nothing of this one
        # is kept, and a second try reports them as already imported.
        db.session.rollback()
        raise ImportRefused("imported_meanwhile") from exc
    handled: dict[tuple, int] = {}
    for row in rows:
        key = dossier_day_key(row.unit_id, row.received_on, row.returned_on)
        handled[key] = handled.get(key, 0) + 1
    add_to(DossierDayCount.__table__, handled)


def verify_statement(unit_id: int, code_hashes: list[str]) -> sa.Update:
    """Mark verified the unverified responses of a unit that gave one of these codes.

    ``unit_id + 0``: SQLite has no statistics unless someone runs ANALYZE, and would then
    pick the index on ``(unit_id, submitted_at)``, reading every response of the unit for
    each chunk of codes. The expression keeps that index out, so both databases look the
    codes up in ``ix_response_dossier_hash`` and check the unit on the few rows found.
    """
    return (
        sa.update(Response)
        .where(Response.dossier_hash.in_(code_hashes), (Response.unit_id + 0) == unit_id,
               Response.verified.is_(False))
        .values(verified=True)
        .returning(Response.submitted_at, Response.questionnaire_version_id, Response.status)
        .execution_options(synchronize_session=False)
    )


def _verify_responses(rows: list[_Row]) -> int:
    """Mark as verified the responses that gave one of these codes at the dossier's own
    unit (the same rule as at submission, ``dossier_known``)."""
    by_unit: dict[int, list[str]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, []).append(row.code_hash)
    verified = 0
    counted: dict[tuple, int] = {}
    for unit_id, hashes in by_unit.items():
        for chunk in chunks(hashes, CHUNK):
            for submitted_at, version_id, status in db.session.execute(
                verify_statement(unit_id, chunk)
            ):
                verified += 1
                # Quarantined answers are counted when (if) they are released.
                if status == ResponseStatus.ACCEPTED.value:
                    key = (clock.local_day(submitted_at), unit_id, version_id)
                    counted[key] = counted.get(key, 0) + 1
    add_to(VerifiedDayCount.__table__, counted)
    return verified
