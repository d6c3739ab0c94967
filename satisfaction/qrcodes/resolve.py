"""What a QR code resolves to: its counter, unit and current questionnaire version, in one
query. Every citizen's form and answer start here (the hot path), so a code found active is
remembered for ``SURVEY_CODE_CACHE_SECONDS``; only positive answers are remembered, so
scanning random tokens cannot fill the cache.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from satisfaction.clock import local_day, utcnow
from satisfaction.db.catalogue import QuestionnaireVersion
from satisfaction.db.codes import QrToken
from satisfaction.db.units import Counter, ProcedureField, Unit
from satisfaction.extensions import db
from satisfaction.qrcodes.codes import normalise_short_code


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
    # A counter whose unit ended (a merger) answers for the successor from the day after,
    # until `flask units apply` moves it there: its printed codes never stop working.
    successor = aliased(Unit)

    def in_force(unit):
        return sa.and_(unit.valid_from <= day,
                       sa.or_(unit.valid_to.is_(None), unit.valid_to >= day))

    def unit_column(name: str):
        return sa.case((in_force(Unit), getattr(Unit, name)), else_=getattr(successor, name))

    return (
        sa.select(
            QrToken.id, Counter.id, Counter.name_vi, Counter.name_en, unit_column("id"),
            unit_column("code"), unit_column("name_vi"), unit_column("name_en"),
            QuestionnaireVersion.id, QuestionnaireVersion.checksum, QrToken.questionnaire_id,
            QrToken.channel, ProcedureField.code, Counter.dossier_mode, QrToken.expires_at,
        )
        .join(Counter, Counter.id == QrToken.counter_id)
        .outerjoin(ProcedureField, ProcedureField.id == QrToken.procedure_field_id)
        .join(Unit, Unit.id == Counter.unit_id)
        .outerjoin(successor, successor.id == Unit.successor_id)
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
            sa.or_(in_force(Unit), sa.and_(Unit.valid_to < day, in_force(successor))),
        )
    )


#: Resolved codes, per database and token: (monotonic deadline, target). Positive answers
#: only, so scanning random tokens cannot fill it.
_targets: OrderedDict[tuple[str, str, date], tuple[float, SurveyTarget]] = OrderedDict()
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
    day = local_day(now)
    # The local day is part of the key: after midnight a code may answer for another unit
    # (a merger), so nothing resolved the day before is trusted.
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], token, day)
    if ttl and today is None:
        cached = _targets.get(key)
        if cached is not None and time.monotonic() < cached[0]:
            target = cached[1]
            if target.expires_at is None or now < target.expires_at:
                return target
    # Core execution on the session's connection: no ORM entities are needed here.
    row = db.session.connection().execute(
        _target_statement(), {"token": token, "day": day, "now": now}
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


def forget_resolved_codes() -> None:
    """Drop this process's copy of the codes it resolved (tests). Other app servers stop
    trusting theirs within ``SURVEY_CODE_CACHE_SECONDS``."""
    _targets.clear()
