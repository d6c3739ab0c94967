"""Storing a citizen's response exactly once, with its answers, and counting it.

This is the hot path of the product (every citizen at every counter): statements are built
once and reused, and the count upserts are driver SQL (``satisfaction.counts.updates``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from satisfaction.catalogue import lookup
from satisfaction.clock import local_day, utcnow
from satisfaction.counts.updates import add_response, add_verified
from satisfaction.db.responses import Answer, DossierClaim, Response, ResponseStatus
from satisfaction.extensions import db
from satisfaction.indices.questionnaires import Definition
from satisfaction.intake import writelock
from satisfaction.qrcodes.resolve import SurveyTarget


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
    """What the integrity checks found (``intake.integrity``) and the client's hashes."""

    flags: tuple[str, ...] = ()
    elapsed_seconds: float | None = None
    client_hash: str | None = None
    network_hash: str | None = None

    @property
    def status(self) -> str:
        return (ResponseStatus.QUARANTINED if self.flags else ResponseStatus.ACCEPTED).value


@dataclass(frozen=True)
class Answered:
    """What a respondent gave, checked against the questionnaire: the answers (item code ->
    value, None for "no opinion"), who answered, about which procedure field, the comment."""

    answers: dict[str, int | None]
    respondent_kind: str
    procedure_field_code: str | None
    comment: str | None
    locale: str


def _response_row(target: SurveyTarget, submission_key: str, answered: Answered,
                  channel: str, integrity: Integrity, dossier_hash: str | None,
                  verified: bool) -> dict:
    return {
        "submission_key": submission_key,
        "questionnaire_version_id": target.version_id,
        "unit_id": target.unit_id,
        "counter_id": target.counter_id,
        "qr_token_id": target.token_id,
        "procedure_field_id": lookup.procedure_field_id(answered.procedure_field_code),
        "respondent_kind": answered.respondent_kind,
        "channel": channel,
        "locale": answered.locale,
        "submitted_at": utcnow(),
        "comment": answered.comment or None,
        "status": integrity.status,
        "flags": list(integrity.flags) or None,
        "elapsed_seconds": (
            None if integrity.elapsed_seconds is None else round(integrity.elapsed_seconds)
        ),
        "client_hash": integrity.client_hash,
        "network_hash": integrity.network_hash,
        "dossier_hash": dossier_hash,
        "verified": verified,
    }


def store_response(
    *,
    target: SurveyTarget,
    definition: Definition,
    submission_key: str,
    answered: Answered,
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
    dossier list of the target's unit (``intake.dossiers.dossier_known``).
    """
    verified = bool(dossier_hash) and dossier_verified
    row = _response_row(target, submission_key, answered, channel, integrity, dossier_hash,
                        verified)
    writelock.acquire()
    connection = db.session.connection()
    try:
        response_id = connection.execute(_insert_response(), row).scalar_one()
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
    if answered.answers:
        _insert_answers(connection, response_id, answered.answers)
    if row["status"] == ResponseStatus.ACCEPTED.value:
        day = local_day(row["submitted_at"])
        add_response(day=day, unit_id=target.unit_id, version_id=target.version_id,
                     answers=answered.answers, definition=definition)
        if verified:
            add_verified(day, target.unit_id, target.version_id)
    return True
