"""API tokens: issued per user with an expiry, stored as SHA-256, scoped like the user at
the moment of use; revoked one by one or all at once, and a new password revokes them all."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from satisfaction.clock import utcnow
from satisfaction.db.accounts import ApiToken, User
from satisfaction.extensions import db

PREFIX = "sat_"
#: ``last_used_at`` is written at most this often per token: a busy data portal calling
#: every second would otherwise turn each read into a write.
USE_RESOLUTION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User, days: int | None = None, label: str = "") -> tuple[ApiToken, str]:
    """A new random token for ``user``, valid ``days`` (``API_TOKEN_DAYS`` unless given);
    only its digest is stored: the caller shows the token once."""
    days = days or current_app.config["API_TOKEN_DAYS"]
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(token), label=label.strip()[:100],
                   expires_at=utcnow() + timedelta(days=days))
    db.session.add(row)
    db.session.flush()
    return row, token


def user_for_token(token: str) -> User | None:
    """The active account of a valid token (not revoked, not expired), noting its use."""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    found = db.session.execute(
        sa.select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None),
               sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
               User.is_active.is_(True))
    ).one_or_none()
    if found is None:
        return None
    user, row = found
    if row.last_used_at is None or now - row.last_used_at >= USE_RESOLUTION:
        row.last_used_at = now
    return user


def tokens_of(user: User) -> list[ApiToken]:
    """The account's tokens, newest first, revoked and expired ones included."""
    return list(db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke(tokens: list[ApiToken]) -> int:
    """Revoke these tokens at once; returns how many were still in force."""
    now = utcnow()
    revoked = 0
    for row in tokens:
        if row.revoked_at is None:
            row.revoked_at = now
            revoked += 1
    return revoked


def revoke_all(user: User) -> int:
    """Revoke every token of ``user`` still in force (a new password, ``--all``); how many."""
    return db.session.execute(
        sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False)).rowcount


def token_state(row: ApiToken) -> str:
    """active, expired or revoked."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= utcnow():
        return "expired"
    return "active"
