"""Paper forms entered in batches from CSV: one row per form, channel "paper".

Columns: ``unit`` (unit code), ``date`` (YYYY-MM-DD), one column per item code (1–5; ``0``
or empty for no opinion), optionally ``comment``, ``kind`` (citizen/business) and
``procedure_field``. A batch with any bad row stores nothing, unless ``skip_bad`` is given;
every bad row is reported with its line number (``satisfaction.csvimport``).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa

from satisfaction import clock
from satisfaction.accounts.access import Scope, require_index
from satisfaction.catalogue.lookup import definition_of, newest_version
from satisfaction.counts.updates import add_response
from satisfaction.csvimport import ImportRefused, ImportResult, RowError, data_rows, decode
from satisfaction.db.accounts import AuditEntry
from satisfaction.db.catalogue import QuestionnaireVersion
from satisfaction.db.codes import Channel
from satisfaction.db.responses import Answer, RespondentKind, Response, ResponseStatus
from satisfaction.db.units import ProcedureField, Unit
from satisfaction.extensions import db
from satisfaction.indices.questionnaires import NO_OPINION, Definition, Item

COMMENT_MAX_LENGTH = 2000
MAX_ROWS = 50_000
#: The upload limit of the paper-form page: MAX_ROWS forms of 22 answers with a comment of
#: about 250 characters each fit (a form without a comment takes about 80 bytes).
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
#: Paper forms carry a date, not a time: they are stored at noon, local time.
PAPER_TIME = time(12, 0)
OPTIONAL_COLUMNS = {"comment", "kind", "procedure_field"}


@dataclass(frozen=True)
class _Form:
    unit: Unit
    day: date
    answers: dict[str, int | None]
    comment: str
    kind: str
    procedure_field: str


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
    # Entering answers changes the index they count in: the same gate as reading it.
    require_index(scope, version.questionnaire.index_code)
    definition = definition_of(version.id, version.checksum)
    items = {item.code: item for item in definition.items()}
    reader, header = _read_header(decode(data), items)
    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    fields = dict(db.session.execute(sa.select(ProcedureField.code, ProcedureField.id)).all())
    today = today or clock.today()
    result = ImportResult()
    good: list[_Form] = []
    for line, cells in data_rows(reader, header, result, MAX_ROWS):
        problems = []
        unit = units.get(cells["unit"])
        if unit is None or not scope.sees_unit(unit.id):
            problems.append(RowError(line, "unknown_unit", cells["unit"]))
        day = _read_day(line, cells["date"], unit, today, problems)
        answers = _read_answers(line, cells, items, problems)
        form = _Form(unit, day, answers, cells.get("comment", ""),
                     cells.get("kind", "") or RespondentKind.CITIZEN.value,
                     cells.get("procedure_field", ""))
        _check_extras(line, form, fields, problems)
        if problems:
            result.errors.extend(problems)
        else:
            good.append(form)
    if result.errors and not skip_bad:
        return result
    _store(good, version, definition, fields)
    result.stored = len(good)
    db.session.add(AuditEntry(
        user_id=user_id, action="responses.import", subject=questionnaire_code,
        details={"rows": result.rows, "stored": result.stored, "rejected": len(result.errors)},
    ))
    return result


def _read_header(text: str, items: Mapping[str, Item]) -> tuple[Iterator[list[str]], list[str]]:
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
    return reader, header


def _read_day(line: int, raw: str, unit: Unit | None, today: date,
              problems: list[RowError]) -> date | None:
    try:
        day = date.fromisoformat(raw)
        if len(raw) != 10:
            raise ValueError
    except ValueError:
        problems.append(RowError(line, "bad_date", raw))
        return None
    if day > today:
        problems.append(RowError(line, "future_date", raw))
    if unit and not unit.is_active_on(day):
        problems.append(RowError(line, "unit_not_active", f"{unit.code} {day}"))
    return day


def _read_answers(line: int, cells: Mapping[str, str], items: Mapping[str, Item],
                  problems: list[RowError]) -> dict[str, int | None]:
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
    return answers


def _check_extras(line: int, form: _Form, fields: Mapping[str, int],
                  problems: list[RowError]) -> None:
    if len(form.comment) > COMMENT_MAX_LENGTH:
        problems.append(RowError(line, "comment_too_long", str(len(form.comment))))
    if form.kind not in {k.value for k in RespondentKind}:
        problems.append(RowError(line, "bad_kind", form.kind))
    if form.procedure_field and form.procedure_field not in fields:
        problems.append(RowError(line, "bad_procedure_field", form.procedure_field))


def _store(forms: list[_Form], version: QuestionnaireVersion, definition: Definition,
           fields: Mapping[str, int]) -> None:
    for form in forms:
        response = Response(
            submission_key=str(uuid.uuid4()),
            questionnaire_version_id=version.id,
            unit_id=form.unit.id,
            procedure_field_id=fields.get(form.procedure_field),
            respondent_kind=form.kind,
            channel=Channel.PAPER.value,
            locale="vi",
            submitted_at=datetime.combine(form.day, PAPER_TIME, clock.LOCAL_TZ),
            comment=form.comment or None,
            status=ResponseStatus.ACCEPTED.value,
        )
        db.session.add(response)
        db.session.flush()
        if form.answers:
            db.session.execute(
                sa.insert(Answer),
                [{"response_id": response.id, "item_code": c, "value": v}
                 for c, v in form.answers.items()],
            )
        add_response(day=form.day, unit_id=form.unit.id, version_id=version.id,
                     answers=form.answers, definition=definition)
