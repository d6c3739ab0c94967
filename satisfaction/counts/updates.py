"""Per-day answer counts, kept up to date as responses arrive.

Reports read these counts instead of the answers, so their cost follows
units × days × items, not the number of responses. Every change of what counts
(a stored response, a released or rejected one, a paper batch) goes through here, in the
same transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache

import sqlalchemy as sa

from satisfaction.catalogue.lookup import definition_of
from satisfaction.clock import local_day
from satisfaction.db.catalogue import QuestionnaireVersion
from satisfaction.db.counts import (
    DailyCount,
    DailyResponseCount,
    DossierDayCount,
    MonthlyCount,
    MonthlyResponseCount,
    VerifiedDayCount,
)
from satisfaction.db.responses import Answer, Dossier, Response, ResponseStatus
from satisfaction.extensions import db
from satisfaction.indices.questionnaires import Definition
from satisfaction.indices.respondents import pseudo_counts

#: How "no opinion" (NULL in ``answer.value``) is keyed in the counts.
NO_OPINION_KEY = 0


def _upsert_clause(table: sa.Table, source: str) -> str:
    keys = [column.name for column in table.primary_key.columns]
    return (
        f"INSERT INTO {table.name} ({', '.join([*keys, 'count'])}) {source} "
        f"ON CONFLICT ({', '.join(keys)}) "
        f"DO UPDATE SET count = {table.name}.count + excluded.count"
    )


def _columns(table: sa.Table) -> list[str]:
    return [*(column.name for column in table.primary_key.columns), "count"]


@cache
def _upsert_sql(tables: tuple[sa.Table, ...], rows: int, dialect: sa.Dialect) -> str:
    """Driver SQL adding rows (the primary key, then ``count``) to count tables:
    ``INSERT … ON CONFLICT DO UPDATE SET count = count + excluded.count``. Keys within
    one statement are distinct.

    It is driver SQL because this is the costliest part of storing an answer: SQLAlchemy's
    compiling and binding of ~200 parameters cost more than the database spends on the
    statement. SQLite gets one table and ``rows`` rows: ``VALUES (?, …), (?, …)``.
    PostgreSQL gets every table in one statement (data-modifying ``WITH``), one round trip,
    and one array per column (``unnest``): the text is the same whatever the number of
    rows, so psycopg converts it once and the server prepares it once, where 200 ``%s``
    markers would be parsed again on every answer.
    """
    if dialect.name != "postgresql":
        (table,) = tables
        row = "(" + ", ".join(["?"] * len(_columns(table))) + ")"
        return _upsert_clause(table, "VALUES " + ", ".join([row] * rows))
    clauses = []
    for table in tables:
        # Strings as plain varchar: a cast to varchar(16) would cut a longer value where
        # the insert should refuse it.
        types = [
            "varchar" if isinstance(table.c[name].type, sa.String)
            else table.c[name].type.compile(dialect=dialect)
            for name in _columns(table)
        ]
        source = "SELECT * FROM unnest(" + ", ".join(f"%s::{t}[]" for t in types) + ")"
        clauses.append(_upsert_clause(table, source))
    *first, last = clauses
    with_part = ", ".join(f"u{i} AS ({clause})" for i, clause in enumerate(first))
    return f"WITH {with_part} {last}" if first else last


#: Rows per statement: enough for one response (answers and scores), bounded for bulk loads.
_ROWS_PER_STATEMENT = 200
_ARRAY_ROWS_PER_STATEMENT = 20_000


def _upsert(*changes: tuple[sa.Table, list[tuple]]) -> None:
    """Add rows (the primary key's values in column order, then the count) to each
    table. Dates go to the driver as they are: psycopg adapts them, and for SQLite
    ``satisfaction.db.engine`` registers the ISO text that SQLAlchemy itself stores."""
    changes = tuple((table, rows) for table, rows in changes if rows)
    if not changes:
        return
    # One table twice in one PostgreSQL statement would be refused ("cannot affect row a
    # second time"); callers merge their rows per table.
    assert len({table for table, _ in changes}) == len(changes)
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        if all(len(rows) <= _ARRAY_ROWS_PER_STATEMENT for _, rows in changes):
            params = tuple(
                list(column) for _, rows in changes for column in zip(*rows, strict=True)
            )
            sql = _upsert_sql(tuple(table for table, _ in changes), 0, dialect)
            connection.exec_driver_sql(sql, params)
            return
        for table, rows in changes:
            for start in range(0, len(rows), _ARRAY_ROWS_PER_STATEMENT):
                _upsert((table, rows[start:start + _ARRAY_ROWS_PER_STATEMENT]))
        return
    for table, rows in changes:
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            chunk = rows[start:start + _ROWS_PER_STATEMENT]
            params = tuple(value for row in chunk for value in row)
            connection.exec_driver_sql(_upsert_sql((table,), len(chunk), dialect), params)


def add_to(table: sa.Table, counts: Mapping[tuple, int]) -> None:
    """Add to a count table, ``counts`` keyed by its primary key in column order."""
    _upsert((table, [(*key, n) for key, n in counts.items() if n]))


def add_verified(day: date, unit_id: int, version_id: int, n: int = 1) -> None:
    """Count accepted responses whose dossier code is on the imported list."""
    add_to(VerifiedDayCount.__table__, {(day, unit_id, version_id): n})


def dossier_day_key(unit_id: int, received_on: date, returned_on: date | None) -> tuple:
    """The ``dossier_day_count`` key of a dossier: by its return day, or its receipt day
    while it is open."""
    if returned_on is None:
        return (unit_id, received_on, "open")
    return (unit_id, returned_on, "returned")


def add_response(
    *,
    day: date,
    unit_id: int,
    version_id: int,
    answers: Mapping[str, int | None],
    definition: Definition | None = None,
    sign: int = 1,
) -> None:
    """Add (``sign=1``) or take away (``sign=-1``) one response's answers, by day and by
    month, with the respondent's own scores when the ``definition`` is given."""
    keys = {
        (day, unit_id, version_id, code, NO_OPINION_KEY if value is None else value): sign
        for code, value in answers.items()
    }
    if definition is not None:
        for (code, value), n in pseudo_counts(definition, answers).items():
            keys[(day, unit_id, version_id, code, value)] = sign * n
    add_counts({(day, unit_id, version_id): sign}, keys)


def add_counts(responses: Mapping[tuple, int], answers: Mapping[tuple, int]) -> None:
    """Add many counts at once: ``responses`` keyed (day, unit, version), ``answers`` keyed
    (day, unit, version, item code, value), both by local day."""
    changes = []
    for table, monthly, rows in (
        (DailyResponseCount.__table__, MonthlyResponseCount.__table__, responses),
        (DailyCount.__table__, MonthlyCount.__table__, answers),
    ):
        by_month: dict[tuple, int] = {}
        for key, n in rows.items():
            month_key = (key[0].replace(day=1), *key[1:])
            by_month[month_key] = by_month.get(month_key, 0) + n
        changes.append((table, [(*key, n) for key, n in rows.items()]))
        changes.append((monthly, [(*key, n) for key, n in by_month.items()]))
    _upsert(*changes)


def rebuild(batch: int = 50_000) -> int:
    """Recompute every count from the accepted responses (a repair tool). Streams the
    answers; returns the number of responses counted."""
    for table in (DailyCount, DailyResponseCount, MonthlyCount, MonthlyResponseCount):
        db.session.execute(sa.delete(table))
    accepted = Response.status == ResponseStatus.ACCEPTED.value
    responses: dict[tuple, int] = {}
    for submitted_at, unit_id, version_id in db.session.execute(
        sa.select(Response.submitted_at, Response.unit_id, Response.questionnaire_version_id)
        .where(accepted)
        .execution_options(yield_per=batch)
    ):
        key = (local_day(submitted_at), unit_id, version_id)
        responses[key] = responses.get(key, 0) + 1
    answers: dict[tuple, int] = {}
    current: tuple | None = None
    current_id = None
    given: dict[str, int | None] = {}

    def flush_scores():
        if current is None:
            return
        version = db.session.get(QuestionnaireVersion, current[2])
        definition = definition_of(version.id, version.checksum)
        for (code, value), n in pseudo_counts(definition, given).items():
            key = (*current, code, value)
            answers[key] = answers.get(key, 0) + n

    for response_id, submitted_at, unit_id, version_id, code, value in db.session.execute(
        sa.select(Response.id, Response.submitted_at, Response.unit_id,
                  Response.questionnaire_version_id, Answer.item_code, Answer.value)
        .join(Answer, Answer.response_id == Response.id)
        .where(accepted)
        .order_by(Response.id)
        .execution_options(yield_per=batch)
    ):
        where = (local_day(submitted_at), unit_id, version_id)
        if current is None or (response_id, *where) != (current_id, *current):
            flush_scores()
            current, current_id, given = where, response_id, {}
        given[code] = value
        key = (*where, code, NO_OPINION_KEY if value is None else value)
        answers[key] = answers.get(key, 0) + 1
    flush_scores()
    add_counts(responses, answers)
    _rebuild_dossier_counts()
    return sum(responses.values())


def _rebuild_dossier_counts() -> None:
    """The per-day counts of verified answers and of dossiers, from the rows."""
    for table in (VerifiedDayCount, DossierDayCount):
        db.session.execute(sa.delete(table))
    verified: dict[tuple, int] = {}
    for submitted_at, unit_id, version_id in db.session.execute(
        sa.select(Response.submitted_at, Response.unit_id, Response.questionnaire_version_id)
        .where(Response.status == ResponseStatus.ACCEPTED.value, Response.verified.is_(True))
    ):
        key = (local_day(submitted_at), unit_id, version_id)
        verified[key] = verified.get(key, 0) + 1
    add_to(VerifiedDayCount.__table__, verified)
    dossiers: dict[tuple, int] = {}
    for row in db.session.execute(
        sa.select(Dossier.unit_id, Dossier.received_on, Dossier.returned_on)
    ):
        key = dossier_day_key(*row)
        dossiers[key] = dossiers.get(key, 0) + 1
    add_to(DossierDayCount.__table__, dossiers)
