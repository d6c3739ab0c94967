"""Quarantined responses: listed for review, released into the counts or rejected, each
decision audit-logged with its reason. Nothing is ever deleted.

Also the retention of client hashes: after ``CLIENT_HASH_RETENTION_DAYS`` the hashes of
client addresses and networks are cleared; the flags they caused stay as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from satisfaction import clock
from satisfaction.accounts.access import Scope
from satisfaction.catalogue.lookup import definition_of
from satisfaction.clock import utcnow
from satisfaction.counts.updates import add_response, add_verified
from satisfaction.db.accounts import AuditEntry
from satisfaction.db.catalogue import Questionnaire, QuestionnaireVersion
from satisfaction.db.responses import DossierClaim, Response, ResponseStatus
from satisfaction.extensions import db

REASON_MAX_LENGTH = 1000


class ReviewError(ValueError):
    """A decision that cannot be taken: the message says why (shown to the reviewer)."""


class Decision:
    RELEASE = "release"
    REJECT = "reject"


def _visible(scope: Scope):
    """Responses of the units and indices the user may see."""
    condition = scope.unit_filter(Response.unit_id)
    if scope.index_codes is not None:
        of_visible_indices = (
            sa.select(QuestionnaireVersion.id)
            .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
            .where(Questionnaire.index_code.in_(sorted(scope.index_codes)))
        )
        condition = sa.and_(condition, Response.questionnaire_version_id.in_(of_visible_indices))
    return condition


def quarantined(scope: Scope, unit_id: int | None = None, limit: int = 200) -> list[Response]:
    """Responses waiting for review that the user may see, oldest first."""
    query = (
        sa.select(Response)
        .where(Response.status == ResponseStatus.QUARANTINED.value, _visible(scope))
        .options(selectinload(Response.answers), selectinload(Response.unit),
                 selectinload(Response.counter))
        .order_by(Response.submitted_at, Response.id)
        .limit(limit)
    )
    if unit_id is not None:
        query = query.where(Response.unit_id == unit_id)
    return list(db.session.scalars(query))


def quarantined_count(scope: Scope) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Response).where(
            Response.status == ResponseStatus.QUARANTINED.value, _visible(scope),
        )
    )


@dataclass(frozen=True)
class Outcome:
    response_id: int
    status: str


def review(response_id: int, decision: str, reason: str, *, scope: Scope,
           user_id: int | None) -> Outcome:
    """Release a quarantined response into the indices, or reject it for good.

    The status change is a conditional UPDATE, so two reviewers deciding at once count a
    released response once.
    """
    reason = (reason or "").strip()
    if decision not in (Decision.RELEASE, Decision.REJECT):
        raise ReviewError("unknown_decision")
    if not reason:
        raise ReviewError("reason_required")
    if len(reason) > REASON_MAX_LENGTH:
        raise ReviewError("reason_too_long")
    response = db.session.scalar(
        sa.select(Response).where(Response.id == response_id, _visible(scope)))
    if response is None:
        raise LookupError(response_id)
    new_status = (
        ResponseStatus.ACCEPTED if decision == Decision.RELEASE else ResponseStatus.REJECTED
    ).value
    changed = db.session.execute(
        sa.update(Response)
        .where(Response.id == response_id,
               Response.status == ResponseStatus.QUARANTINED.value)
        .values(status=new_status, reviewed_at=utcnow(), reviewed_by_id=user_id,
                review_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise ReviewError("already_reviewed")
    if decision == Decision.RELEASE:
        version = response.questionnaire_version
        day = clock.local_day(response.submitted_at)
        if response.verified:
            add_verified(day, response.unit_id, version.id)
        add_response(
            day=day,
            unit_id=response.unit_id,
            version_id=version.id,
            answers={answer.item_code: answer.value for answer in response.answers},
            definition=definition_of(version.id, version.checksum),
        )
    else:
        # A rejected answer gives its dossier code back to the citizen it belongs to.
        db.session.execute(sa.delete(DossierClaim).where(DossierClaim.response_id == response_id))
    db.session.add(AuditEntry(
        user_id=user_id,
        action=f"response.{decision}",
        subject=f"response {response_id}",
        details={"reason": reason, "flags": response.flags or [], "unit_id": response.unit_id},
    ))
    db.session.expire(response)
    return Outcome(response_id, new_status)


def forget_client_hashes(retention_days: int, now=None) -> int:
    """Clear the client and network hashes of responses older than the retention period;
    how many responses were cleared."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    return db.session.execute(
        sa.update(Response)
        .where(Response.submitted_at < cutoff,
               sa.or_(Response.client_hash.is_not(None), Response.network_hash.is_not(None)))
        .values(client_hash=None, network_hash=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def forget_comments(retention_days: int, now=None) -> int:
    """Erase the comments of responses older than the retention period (their answers stay:
    they are the indices); how many comments were erased."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    return db.session.execute(
        sa.update(Response)
        .where(Response.submitted_at < cutoff, Response.comment.is_not(None))
        .values(comment=None)
        .execution_options(synchronize_session=False)
    ).rowcount
