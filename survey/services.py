"""Survey operations: find what a QR code points to, store a response exactly once.

This is the hot path of the product (every citizen at every counter): statements are built
once and reused, and only immutable reference data is cached in the process.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from satisfaction import clock, writelock
from satisfaction.catalogue import lookup
from satisfaction.clock import utcnow
from satisfaction.counts.updates import add_response, add_verified
from satisfaction.db.catalogue import QuestionnaireVersion
from satisfaction.db.codes import QrToken
from satisfaction.db.responses import Answer, Dossier, DossierClaim, Response, ResponseStatus
from satisfaction.db.units import Counter, ProcedureField, Unit
from satisfaction.extensions import db
from satisfaction.qrcodes import normalise_short_code

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
    questionnaire_id: int
    channel: str
    #: The procedure field this code is for, chosen in advance on the form.
    procedure_field_code: str | None
    dossier_mode: str
    #: The end of a rotated code's grace period (UTC), None while it is current.
    expires_at: datetime | None = None

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
    now = sa.bindparam("now", type_=QrToken.expires_at.type)
    return (
        sa.select(
            QrToken.id, Counter.id, Counter.name_vi, Counter.name_en, Unit.id, Unit.code,
            Unit.name_vi, Unit.name_en, QuestionnaireVersion.id, QuestionnaireVersion.checksum,
            QrToken.questionnaire_id, QrToken.channel, ProcedureField.code, Counter.dossier_mode,
            QrToken.expires_at,
        )
        .join(Counter, Counter.id == QrToken.counter_id)
        .outerjoin(ProcedureField, ProcedureField.id == QrToken.procedure_field_id)
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
            sa.or_(QrToken.expires_at.is_(None), QrToken.expires_at > now),
            Counter.is_active.is_(True),
            Unit.valid_from <= day,
            sa.or_(Unit.valid_to.is_(None), Unit.valid_to >= day),
        )
    )


#: Resolved codes, per database and token: (monotonic deadline, target). Positive answers
#: only, so scanning random tokens cannot fill it.
_targets: OrderedDict[tuple[str, str], tuple[float, SurveyTarget]] = OrderedDict()
_TARGETS_MAX = 4096


def find_target(token: str, today: datetime | None = None) -> SurveyTarget | None:
    """The counter, unit and current questionnaire version of an active QR code, or None
    when the code is unknown, revoked, past its grace period, or its counter or unit is no
    longer in service.

    Every citizen's form and answer start here, so a code found active is remembered for
    ``SURVEY_CODE_CACHE_SECONDS``, like other reference data: a code revoked (or a counter
    closed) on another app server stops working here within that time. A grace period's
    end is checked on every use.
    """
    if not token or len(token) > 64:
        return None
    now = today or utcnow()
    ttl = current_app.config["SURVEY_CODE_CACHE_SECONDS"]
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], token)
    if ttl and today is None:
        cached = _targets.get(key)
        if cached is not None and time.monotonic() < cached[0]:
            target = cached[1]
            if target.expires_at is None or now < target.expires_at:
                return target
    # Core execution on the session's connection: no ORM entities are needed here.
    row = db.session.connection().execute(
        _target_statement(), {"token": token, "day": clock.local_day(now), "now": now}
    ).first()
    target = SurveyTarget(*row) if row else None
    if ttl and today is None:
        if target is None:
            _targets.pop(key, None)
        else:
            # Pop, then set: the new entry goes last (newest) without a separate move.
            _targets.pop(key, None)
            _targets[key] = (time.monotonic() + ttl, target)
            if len(_targets) > _TARGETS_MAX:
                _targets.popitem(last=False)
    return target


#: Rotations followed from an expired code to its successor; more means a loop or abuse.
_MAX_ROTATIONS = 20


def successor_of(token: str, now: datetime | None = None) -> str | None:
    """For a rotated code past its grace period: the code that replaced it, if that one (or
    its own successor) still works. None for unknown or revoked codes."""
    if not token or len(token) > 64:
        return None
    now = now or utcnow()
    current = db.session.scalar(sa.select(QrToken).where(QrToken.token == token))
    for _ in range(_MAX_ROTATIONS):
        if current is None or current.revoked_at is not None or current.replaced_by_id is None:
            return None
        current = db.session.get(QrToken, current.replaced_by_id)
        if current is not None and current.is_active_at(now):
            return current.token
    return None


def token_for_short_code(typed: str) -> str | None:
    """The survey token behind a short code as a person types it: any case, with or
    without the dash or spaces."""
    code = normalise_short_code(typed)
    if code is None:
        return None
    return db.session.scalar(sa.select(QrToken.token).where(QrToken.short_code == code))


def forget_cached_reference_data() -> None:
    """Drop this process's copy of the procedure fields and of the codes it resolved
    (tests). Other changes reach every app server within their cache times."""
    lookup.forget_procedure_fields()
    _targets.clear()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SUBMISSION_SALT)


def issue_submission_id(target: SurveyTarget) -> str:
    """A fresh signed form id, bound to the QR code it was issued for."""
    return _serializer().dumps([target.token_id, uuid.uuid4().hex])


def read_submission_id(signed: str | None, target: SurveyTarget) -> tuple[str, float] | None:
    """The form's random id and the seconds since the form was served, if ``signed`` is
    genuine, recent and issued for this code."""
    if not signed or len(signed) > 200:
        return None
    try:
        (token_id, key), issued = _serializer().loads(
            signed, max_age=current_app.config["WTF_CSRF_TIME_LIMIT"], return_timestamp=True
        )
    except (BadSignature, ValueError, TypeError):
        return None
    if token_id != target.token_id or not isinstance(key, str) or len(key) != 32:
        return None
    return key, max(0.0, time.time() - issued.timestamp())


@cache
def _insert_response() -> sa.Insert:
    return sa.insert(Response.__table__).returning(Response.__table__.c.id)


_ANSWERS_AS_ARRAYS = (
    "INSERT INTO answer (response_id, item_code, value) "
    "SELECT %s, * FROM unnest(%s::varchar[], %s::smallint[])"
)


def _insert_answers(connection: sa.Connection, response_id: int,
                    answers: dict[str, int | None]) -> None:
    """One statement for a response's answers. On PostgreSQL, two arrays in a statement
    whose text never changes (prepared once by the server) instead of a round of
    executemany."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            _ANSWERS_AS_ARRAYS, (response_id, list(answers), list(answers.values()))
        )
        return
    connection.execute(
        sa.insert(Answer.__table__),
        [{"response_id": response_id, "item_code": code, "value": value}
         for code, value in answers.items()],
    )


class DossierAlreadyUsed(Exception):
    """Another response to this questionnaire already gave this dossier code."""


@dataclass(frozen=True)
class Integrity:
    """What the integrity checks found (``satisfaction.integrity``) and the client's hashes."""

    flags: tuple[str, ...] = ()
    elapsed_seconds: float | None = None
    client_hash: str | None = None
    network_hash: str | None = None

    @property
    def status(self) -> str:
        return (ResponseStatus.QUARANTINED if self.flags else ResponseStatus.ACCEPTED).value


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
    integrity: Integrity = Integrity(),
    dossier_hash: str | None = None,
    dossier_verified: bool = False,
) -> bool:
    """Store a response and its answers, and count them if accepted; False when this
    submission was already stored. A quarantined response is stored but not counted until
    it is released.

    The unique submission key makes a retried POST (a flaky mobile network, a double tap)
    store nothing new, even when two copies race on different app servers. The dossier
    claim's primary key does the same for a dossier code given twice; the caller rolls
    back on ``DossierAlreadyUsed``. ``dossier_verified``: the code is on the imported
    dossier list of the target's unit (``dossier_known``).
    """
    submitted_at = utcnow()
    status = integrity.status
    verified = bool(dossier_hash) and dossier_verified
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
                "procedure_field_id": lookup.procedure_field_id(procedure_field_code),
                "respondent_kind": respondent_kind,
                "channel": channel,
                "locale": locale,
                "submitted_at": submitted_at,
                "comment": comment or None,
                "status": status,
                "flags": list(integrity.flags) or None,
                "elapsed_seconds": (
                    None if integrity.elapsed_seconds is None else round(integrity.elapsed_seconds)
                ),
                "client_hash": integrity.client_hash,
                "network_hash": integrity.network_hash,
                "dossier_hash": dossier_hash,
                "verified": verified,
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
    if dossier_hash:
        try:
            with connection.begin_nested():
                connection.execute(sa.insert(DossierClaim.__table__), {
                    "questionnaire_id": target.questionnaire_id,
                    "dossier_hash": dossier_hash,
                    "response_id": response_id,
                })
        except IntegrityError:
            raise DossierAlreadyUsed() from None
    if answers:
        _insert_answers(connection, response_id, answers)
    if status == ResponseStatus.ACCEPTED.value:
        day = clock.local_day(submitted_at)
        add_response(
            day=day,
            unit_id=target.unit_id,
            version_id=target.version_id,
            answers=answers,
            definition=lookup.definition_of(target.version_id, target.version_checksum),
        )
        if verified:
            add_verified(day, target.unit_id, target.version_id)
    return True
