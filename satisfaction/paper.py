"""Paper forms entered in batches from CSV: one row per form, channel "paper".

Columns: ``unit`` (unit code), ``date`` (YYYY-MM-DD), one column per item code (1–5; ``0``
or empty for no opinion), optionally ``comment``, ``kind`` (citizen/business) and
``procedure_field``. A batch with any bad row stores nothing, unless ``skip_bad`` is given;
every bad row is reported with its line number.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa

from satisfaction import clock
from satisfaction.accounts.access import Scope
from satisfaction.catalogue.lookup import definition_of, newest_version
from satisfaction.counts.updates import add_response
from satisfaction.db.accounts import AuditEntry
from satisfaction.db.codes import Channel
from satisfaction.db.responses import Answer, RespondentKind, Response, ResponseStatus
from satisfaction.db.units import ProcedureField, Unit
from satisfaction.extensions import db
from satisfaction.indices.questionnaires import NO_OPINION

COMMENT_MAX_LENGTH = 2000
MAX_ROWS = 50_000
#: Paper forms carry a date, not a time: they are stored at noon, local time.
PAPER_TIME = time(12, 0)
OPTIONAL_COLUMNS = {"comment", "kind", "procedure_field"}


@dataclass(frozen=True)
class RowError:
    line: int
    #: A message key (see ``MESSAGES`` in the views) and its values.
    problem: str
    detail: str = ""


@dataclass
class ImportResult:
    rows: int = 0
    stored: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportRefused(ValueError):
    """The file as a whole cannot be read (encoding, header, size)."""

    def __init__(self, problem: str, detail: str = ""):
        self.problem, self.detail = problem, detail
        super().__init__(f"{problem}: {detail}" if detail else problem)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused("not_utf8", str(exc.start)) from exc


def import_paper_forms(
    questionnaire_code: str,
    data: bytes,
    scope: Scope,
    *,
    skip_bad: bool = False,
    user_id: int | None = None,
    today: date | None = None,
) -> ImportResult:
    """Check every row, then store the good ones (all of them, or none if any is bad)."""
    version = newest_version(questionnaire_code)
    if version is None:
        raise ImportRefused("unknown_questionnaire", questionnaire_code)
    definition = definition_of(version.id, version.checksum)
    items = {item.code: item for item in definition.items()}

    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise ImportRefused("empty") from exc
    except csv.Error as exc:
        raise ImportRefused("bad_csv", str(exc)) from exc
    if "unit" not in header or "date" not in header:
        raise ImportRefused("missing_columns", "unit, date")
    unknown = [h for h in header if h not in items and h not in {"unit", "date"} | OPTIONAL_COLUMNS]
    if unknown:
        raise ImportRefused("unknown_columns", ", ".join(unknown))
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise ImportRefused("duplicate_columns", ", ".join(duplicated))
    missing = [code for code, item in items.items() if item.required and code not in header]
    if missing:
        raise ImportRefused("missing_columns", ", ".join(missing))

    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    fields = dict(db.session.execute(sa.select(ProcedureField.code, ProcedureField.id)).all())
    today = today or clock.today()
    result = ImportResult()
    good: list[tuple[Unit, date, dict[str, int | None], dict[str, str]]] = []
    try:
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            result.rows += 1
            if result.rows > MAX_ROWS:
                raise ImportRefused("too_many_rows", str(MAX_ROWS))
            problems = []
            if len(row) != len(header):
                result.errors.append(
                    RowError(line, "wrong_cell_count", f"{len(row)}/{len(header)}"))
                continue
            cells = {h: c.strip() for h, c in zip(header, row, strict=True)}
            unit = units.get(cells["unit"])
            if unit is None or not scope.sees_unit(unit.id):
                problems.append(RowError(line, "unknown_unit", cells["unit"]))
            try:
                day = date.fromisoformat(cells["date"])
                if len(cells["date"]) != 10:
                    raise ValueError
            except ValueError:
                problems.append(RowError(line, "bad_date", cells["date"]))
                day = None
            if day and day > today:
                problems.append(RowError(line, "future_date", cells["date"]))
            if day and unit and not unit.is_active_on(day):
                problems.append(RowError(line, "unit_not_active", f"{unit.code} {day}"))
            answers: dict[str, int | None] = {}
            for code, item in items.items():
                raw = cells.get(code, "")
                if raw in ("", str(NO_OPINION)):
                    has_no_opinion = item.scale.no_opinion is not None
                    if has_no_opinion and (item.required or raw == str(NO_OPINION)):
                        answers[code] = None
                    elif item.required:
                        problems.append(RowError(line, "missing_answer", code))
                    continue  # otherwise an optional question left blank
                if not raw.isdigit() or int(raw) not in item.scale.values:
                    problems.append(RowError(line, "bad_value", f"{code}={raw}"))
                    continue
                answers[code] = int(raw)
            extra = {
                "comment": cells.get("comment", ""),
                "kind": cells.get("kind", "") or RespondentKind.CITIZEN.value,
                "procedure_field": cells.get("procedure_field", ""),
            }
            if len(extra["comment"]) > COMMENT_MAX_LENGTH:
                problems.append(RowError(line, "comment_too_long", str(len(extra["comment"]))))
            if extra["kind"] not in {k.value for k in RespondentKind}:
                problems.append(RowError(line, "bad_kind", extra["kind"]))
            if extra["procedure_field"] and extra["procedure_field"] not in fields:
                problems.append(RowError(line, "bad_procedure_field", extra["procedure_field"]))
            if problems:
                result.errors.extend(problems)
            else:
                good.append((unit, day, answers, extra))
    except csv.Error as exc:
        raise ImportRefused("bad_csv", str(exc)) from exc

    if result.errors and not skip_bad:
        return result
    for unit, day, answers, extra in good:
        submitted_at = datetime.combine(day, PAPER_TIME, clock.LOCAL_TZ)
        response = Response(
            submission_key=str(uuid.uuid4()),
            questionnaire_version_id=version.id,
            unit_id=unit.id,
            procedure_field_id=fields.get(extra["procedure_field"]),
            respondent_kind=extra["kind"],
            channel=Channel.PAPER.value,
            locale="vi",
            submitted_at=submitted_at,
            comment=extra["comment"] or None,
            status=ResponseStatus.ACCEPTED.value,
        )
        db.session.add(response)
        db.session.flush()
        if answers:
            db.session.execute(
                sa.insert(Answer),
                [{"response_id": response.id, "item_code": c, "value": v}
                 for c, v in answers.items()],
            )
        add_response(day=day, unit_id=unit.id, version_id=version.id, answers=answers,
                              definition=definition)
        result.stored += 1
    db.session.add(AuditEntry(
        user_id=user_id, action="responses.import", subject=questionnaire_code,
        details={"rows": result.rows, "stored": result.stored, "rejected": len(result.errors)},
    ))
    return result
