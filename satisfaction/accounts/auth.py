"""Signing in: passwords checked in constant time whether or not the account exists, and
failed attempts throttled per e-mail and per client across every app server."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from satisfaction.clock import utcnow
from satisfaction.db.accounts import LoginAttempt, User
from satisfaction.extensions import db
from satisfaction.privacy import keyed_hash


def hash_password(password: str) -> str:
    """A password's hash by ``PASSWORD_HASH_METHOD`` (Werkzeug's default, scrypt, unless
    configured; the test suite asks for a cheap one). Checking reads the method from the
    stored hash, so a change of method applies to new passwords only."""
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    return generate_password_hash(password, method) if method else generate_password_hash(password)


#: Compared against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    return user


#: Failed sign-ins allowed per e-mail, and per client, within the window.
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_CLIENT = 20
THROTTLE_WINDOW = timedelta(minutes=15)


def _keyed(value: str | None) -> str:
    return keyed_hash("login", (value or "").strip().lower())


def is_throttled(email: str, client: str | None) -> bool:
    """Too many recent failures for this e-mail or from this client (shared by every app
    server through the database)."""
    since = utcnow() - THROTTLE_WINDOW
    recent = sa.select(sa.func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since)
    by_email = db.session.scalar(recent.where(LoginAttempt.email_hash == _keyed(email)))
    by_client = db.session.scalar(recent.where(LoginAttempt.client_hash == _keyed(client)))
    return by_email >= MAX_FAILURES_PER_EMAIL or by_client >= MAX_FAILURES_PER_CLIENT


def record_failure(email: str, client: str | None) -> None:
    db.session.add(LoginAttempt(email_hash=_keyed(email), client_hash=_keyed(client)))
    day_ago = utcnow() - timedelta(days=1)
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < day_ago))
    # Failed sign-ins answer 401, which the request handler rolls back: keep this one.
    db.session.commit()


def active_user(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None
