"""Survey operations: find what a QR code points to, store a response exactly once.

This is the hot path of the product (every citizen at every counter): statements are built
once and reused, and only immutable reference data is cached in the process.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from satisfaction import counting, writelock
from satisfaction.extensions import db
from satisfaction.models import (
    Answer,
    Counter,
    ProcedureField,
    QrToken,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Unit,
)
from satisfaction.questionnaires import Definition, parse_definition
from satisfaction.types import utcnow

_SUBMISSION_SALT = "survey-submission"
#: Procedure fields change a few times a year; a process re-reads them this often.
PROCEDURE_FIELDS_TTL = 60.0


@dataclass(frozen=True)
class SurveyTarget:
    """Everything a QR code resolves to, read in one query."""

    token_id: int
    counter_id: int
    counter_name_vi: str
    counter_name_en: str
    unit_id: int
    unit_code: str
    unit_name_vi: str
    unit_name_en: str
    version_id: int
    version_checksum: str

    def unit_name(self, locale: str) -> str:
        return self.unit_name_en if locale == "en" else self.unit_name_vi

    def counter_name(self, locale: str) -> str:
        return self.counter_name_en if locale == "en" else self.counter_name_vi


@cache
def _target_statement() -> sa.Select:
    newest = (
        sa.select(sa.func.max(QuestionnaireVersion.version))
        .where(QuestionnaireVersion.questionnaire_id == QrToken.questionnaire_id)
        .correlate(QrToken)
        .scalar_subquery()
    )
    day = sa.bindparam("day", type_=sa.Date)
    return (
        sa.select(
            QrToken.id, Counter.id, Counter.name_vi, Counter.name_en, Unit.id, Unit.code,
            Unit.name_vi, Unit.name_en, QuestionnaireVersion.id, QuestionnaireVersion.checksum,
        )
        .join(Counter, Counter.id == QrToken.counter_id)
        .join(Unit, Unit.id == Counter.unit_id)
        .join(
            QuestionnaireVersion,
            sa.and_(
                QuestionnaireVersion.questionnaire_id == QrToken.questionnaire_id,
                QuestionnaireVersion.version == newest,
            ),
        )
        .where(
            QrToken.token == sa.bindparam("token"),
            QrToken.revoked_at.is_(None),
            Counter.is_active.is_(True),
            Unit.valid_from <= day,
            sa.or_(Unit.valid_to.is_(None), Unit.valid_to >= day),
        )
    )


def find_target(token: str, today: datetime | None = None) -> SurveyTarget | None:
    """The counter, unit and current questionnaire version of an active QR code, or None
    when the code is unknown, revoked, or its counter or unit is no longer in service."""
    if not token or len(token) > 64:
        return None
    day = counting.local_day(today or utcnow())
    # Core execution on the session's connection: no ORM entities are needed here.
    row = db.session.connection().execute(
        _target_statement(), {"token": token, "day": day}
    ).first()
    return SurveyTarget(*row) if row else None


_definitions: dict[tuple[int, str], Definition] = {}


def definition_for(version_id: int, checksum: str) -> Definition:
    """The parsed definition of a questionnaire version.

    Cached per process by (id, checksum): a stored version's content only changes together
    with its checksum, so the cache can never serve a stale definition.
    """
    key = (version_id, checksum)
    definition = _definitions.get(key)
    if definition is None:
        raw = db.session.scalar(
            sa.select(QuestionnaireVersion.definition).where(QuestionnaireVersion.id == version_id)
        )
        definition = _definitions[key] = parse_definition(raw, source=f"version {version_id}")
    return definition


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


def forget_cached_reference_data() -> None:
    """Drop this process's copy of the procedure fields (tests, admin changes)."""
    global _procedure_fields
    _procedure_fields = None


def procedure_field_choices(locale: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (code, name_en if locale == "en" else name_vi)
        for code, _, name_vi, name_en in _active_procedure_fields()
    )


def procedure_field_id(code: str | None) -> int | None:
    return next((pid for c, pid, _, _ in _active_procedure_fields() if c == code), None)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SUBMISSION_SALT)


def issue_submission_id(target: SurveyTarget) -> str:
    """A fresh signed form id, bound to the QR code it was issued for."""
    return _serializer().dumps([target.token_id, uuid.uuid4().hex])


def read_submission_id(signed: str | None, target: SurveyTarget) -> str | None:
    """The form's random id if ``signed`` is genuine, recent and issued for this code."""
    if not signed or len(signed) > 200:
        return None
    try:
        token_id, key = _serializer().loads(
            signed, max_age=current_app.config["WTF_CSRF_TIME_LIMIT"]
        )
    except (BadSignature, ValueError, TypeError):
        return None
    if token_id != target.token_id or not isinstance(key, str) or len(key) != 32:
        return None
    return key


@cache
def _insert_response() -> sa.Insert:
    return sa.insert(Response.__table__).returning(Response.__table__.c.id)


def store_response(
    *,
    target: SurveyTarget,
    submission_key: str,
    answers: dict[str, int | None],
    respondent_kind: str,
    procedure_field_code: str | None,
    comment: str | None,
    locale: str,
    channel: str,
) -> bool:
    """Store a response and its answers, and count them; False when this submission was
    already stored.

    The unique submission key makes a retried POST (a flaky mobile network, a double tap)
    store nothing new, even when two copies race on different app servers.
    """
    submitted_at = utcnow()
    writelock.acquire()
    connection = db.session.connection()
    try:
        response_id = connection.execute(
            _insert_response(),
            {
                "submission_key": submission_key,
                "questionnaire_version_id": target.version_id,
                "unit_id": target.unit_id,
                "counter_id": target.counter_id,
                "qr_token_id": target.token_id,
                "procedure_field_id": procedure_field_id(procedure_field_code),
                "respondent_kind": respondent_kind,
                "channel": channel,
                "locale": locale,
                "submitted_at": submitted_at,
                "comment": comment or None,
                "status": ResponseStatus.ACCEPTED.value,
            },
        ).scalar_one()
    except IntegrityError:
        db.session.rollback()
        already = db.session.scalar(
            sa.select(sa.exists().where(Response.submission_key == submission_key))
        )
        if already:
            return False
        raise
    if answers:
        connection.execute(
            sa.insert(Answer.__table__),
            [
                {"response_id": response_id, "item_code": code, "value": value}
                for code, value in answers.items()
            ],
        )
    counting.add_response(
        day=counting.local_day(submitted_at),
        unit_id=target.unit_id,
        version_id=target.version_id,
        answers=answers,
        definition=definition_for(target.version_id, target.version_checksum),
    )
    return True
