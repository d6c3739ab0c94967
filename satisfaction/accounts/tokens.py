"""API tokens: issued per user, stored as SHA-256, scoped like the user."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from satisfaction.db.accounts import ApiToken, User
from satisfaction.extensions import db

PREFIX = "sat_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User) -> str:
    """A new random token for ``user``; only its digest is stored, the caller shows it once."""
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_digest(token)))
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    row = db.session.execute(
        sa.select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None),
               User.is_active.is_(True))
    ).scalar_one_or_none()
    return row
