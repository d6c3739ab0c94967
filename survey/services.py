"""Survey operations: find what a QR code points to, store a response exactly once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from satisfaction import counting
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


def find_target(token: str, today: datetime | None = None) -> SurveyTarget | None:
    """The counter, unit and current questionnaire version of an active QR code, or None
    when the code is unknown, revoked, or its counter or unit is no longer in service."""
    if not token or len(token) > 64:
        return None
    day = (today or utcnow()).date()
    newest = (
        sa.select(sa.func.max(QuestionnaireVersion.version))
        .where(QuestionnaireVersion.questionnaire_id == QrToken.questionnaire_id)
        .correlate(QrToken)
        .scalar_subquery()
    )
    row = db.session.execute(
        sa.select(
            QrToken.id,
            Counter.id,
            Counter.name_vi,
            Counter.name_en,
            Unit.id,
            Unit.code,
            Unit.name_vi,
            Unit.name_en,
            QuestionnaireVersion.id,
            QuestionnaireVersion.checksum,
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
            QrToken.token == token,
            QrToken.revoked_at.is_(None),
            Counter.is_active.is_(True),
            Unit.valid_from <= day,
            sa.or_(Unit.valid_to.is_(None), Unit.valid_to >= day),
        )
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


def procedure_field_choices(locale: str) -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(ProcedureField.code, ProcedureField.name_vi, ProcedureField.name_en)
        .where(ProcedureField.is_active.is_(True))
        .order_by(ProcedureField.position, ProcedureField.code)
    )
    return [(code, name_en if locale == "en" else name_vi) for code, name_vi, name_en in rows]


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
    """Store a response and its answers; False when this submission was already stored.

    The unique submission key makes a retried POST (a flaky mobile network, a double tap)
    store nothing new, even when two copies race on different app servers.
    """
    procedure_field_id = None
    if procedure_field_code:
        procedure_field_id = db.session.scalar(
            sa.select(ProcedureField.id).where(ProcedureField.code == procedure_field_code)
        )
    submitted_at = utcnow()
    response = Response(
        submission_key=submission_key,
        submitted_at=submitted_at,
        questionnaire_version_id=target.version_id,
        unit_id=target.unit_id,
        counter_id=target.counter_id,
        qr_token_id=target.token_id,
        procedure_field_id=procedure_field_id,
        respondent_kind=respondent_kind,
        channel=channel,
        locale=locale,
        comment=comment or None,
        status=ResponseStatus.ACCEPTED.value,
    )
    db.session.add(response)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        already = db.session.scalar(
            sa.select(sa.exists().where(Response.submission_key == submission_key))
        )
        if already:
            return False
        raise
    if answers:
        db.session.execute(
            sa.insert(Answer),
            [
                {"response_id": response.id, "item_code": code, "value": value}
                for code, value in answers.items()
            ],
        )
    counting.add_response(
        day=counting.local_day(submitted_at),
        unit_id=target.unit_id,
        version_id=target.version_id,
        answers=answers,
    )
    return True
