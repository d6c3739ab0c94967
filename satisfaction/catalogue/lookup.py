"""The stored catalogue as the rest of the product reads it: a questionnaire version's
parsed definition (parsed once per process), the questionnaire an index is read from, the
active procedure fields.

Only immutable data, or data keyed by what changes with it, is cached in the process: a
version's content changes only together with its checksum, and the procedure fields are
re-read every ``PROCEDURE_FIELDS_TTL`` seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from satisfaction.db.catalogue import IndexDefinition, Questionnaire, QuestionnaireVersion
from satisfaction.db.units import ProcedureField
from satisfaction.extensions import db
from satisfaction.indices import scoring
from satisfaction.indices.measures import structure_of
from satisfaction.indices.questionnaires import Definition, parse_definition

#: Procedure fields change a few times a year; a process re-reads them this often.
PROCEDURE_FIELDS_TTL = 60.0


class UnknownQuestionnaire(ValueError):
    """An index asked for with a questionnaire it does not have (or one not loaded)."""

    def __init__(self) -> None:
        super().__init__("unknown_questionnaire")


_definitions: dict[tuple[int, str], Definition] = {}


def definition_of(version_id: int, checksum: str) -> Definition:
    """The parsed definition of a questionnaire version, parsed once per process.

    Keyed by (id, checksum): a stored version's content only changes together with its
    checksum, so this can never serve a stale definition.
    """
    key = (version_id, checksum)
    definition = _definitions.get(key)
    if definition is None:
        raw = db.session.scalar(
            sa.select(QuestionnaireVersion.definition).where(QuestionnaireVersion.id == version_id)
        )
        definition = _definitions[key] = parse_definition(raw, source=f"version {version_id}")
    return definition


def newest_version(questionnaire_code: str) -> QuestionnaireVersion | None:
    """The newest stored version of a questionnaire, or None for an unknown code."""
    questionnaire = db.session.scalar(
        sa.select(Questionnaire).where(Questionnaire.code == questionnaire_code))
    if questionnaire is None or not questionnaire.versions:
        return None
    return questionnaire.versions[-1]


@dataclass(frozen=True)
class Source:
    """The questionnaire an index is read from: its versions and newest definition."""

    questionnaire: Questionnaire
    version_ids: tuple[int, ...]
    definition: Definition
    structure: scoring.Structure


def source_of(index: IndexDefinition, questionnaire_code: str | None = None) -> Source:
    """The index's questionnaire (its first one by default); ``UnknownQuestionnaire`` for a
    code the index does not list or that is not loaded."""
    codes = index.questionnaire_codes or []
    code = questionnaire_code or (codes[0] if codes else None)
    if code is None or code not in codes:
        raise UnknownQuestionnaire()
    newest = newest_version(code)
    if newest is None:
        raise UnknownQuestionnaire()
    questionnaire = newest.questionnaire
    definition = definition_of(newest.id, newest.checksum)
    return Source(
        questionnaire,
        tuple(v.id for v in questionnaire.versions),
        definition,
        structure_of(definition),
    )


_procedure_fields: tuple[float, tuple[tuple[str, int, str, str], ...]] | None = None


def _active_procedure_fields() -> tuple[tuple[str, int, str, str], ...]:
    global _procedure_fields
    now = time.monotonic()
    if _procedure_fields is None or now - _procedure_fields[0] > PROCEDURE_FIELDS_TTL:
        rows = db.session.execute(
            sa.select(ProcedureField.code, ProcedureField.id, ProcedureField.name_vi,
                      ProcedureField.name_en)
            .where(ProcedureField.is_active.is_(True))
            .order_by(ProcedureField.position, ProcedureField.code)
        ).all()
        _procedure_fields = (now, tuple(tuple(row) for row in rows))
    return _procedure_fields[1]


def forget_procedure_fields() -> None:
    """Drop this process's copy of the procedure fields (tests; other app servers re-read
    them within ``PROCEDURE_FIELDS_TTL``)."""
    global _procedure_fields
    _procedure_fields = None


def procedure_field_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of the active procedure fields, in their order."""
    return tuple(
        (code, name_en if locale == "en" else name_vi)
        for code, _, name_vi, name_en in _active_procedure_fields()
    )


def procedure_field_id(code: str | None) -> int | None:
    return next((pid for c, pid, _, _ in _active_procedure_fields() if c == code), None)


def questionnaire_choices(locale: str, index_codes: frozenset[str] | None = None
                          ) -> list[tuple[str, str]]:
    """(code, "title (code)") of every questionnaire (of these indices only, if given), for
    a form's choice."""
    return [
        (q.code, f"{q.title(locale)} ({q.code})")
        for q in db.session.scalars(sa.select(Questionnaire).order_by(Questionnaire.code))
        if index_codes is None or q.index_code in index_codes
    ]


def questionnaire(code: str) -> Questionnaire | None:
    return db.session.scalar(sa.select(Questionnaire).where(Questionnaire.code == code))


def procedure_field(code: str) -> ProcedureField | None:
    return db.session.scalar(sa.select(ProcedureField).where(ProcedureField.code == code))


def active_procedure_fields() -> list[ProcedureField]:
    """The procedure fields in use, in their order, read now (the survey's copy is cached:
    ``procedure_field_choices``)."""
    return list(db.session.scalars(
        sa.select(ProcedureField).where(ProcedureField.is_active.is_(True))
        .order_by(ProcedureField.position, ProcedureField.code)))


def newest_definitions() -> list[tuple[QuestionnaireVersion, Definition]]:
    """Every questionnaire's newest version with its definition, by questionnaire code."""
    result = []
    for family in db.session.scalars(sa.select(Questionnaire).order_by(Questionnaire.code)):
        if family.versions:
            version = family.versions[-1]
            result.append((version, definition_of(version.id, version.checksum)))
    return result
