"""Signing in: passwords checked in constant time whether or not the account exists, and
failed attempts throttled per account and address (growing delays) and per address, counted
atomically across every app server."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from satisfaction.accounts.tokens import revoke_all
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


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


#: Failed sign-ins allowed for one account from one address before the delays start; the
#: delay then doubles with each further failure (1, 2, 4 … minutes, at most a day).
FREE_FAILURES_PER_PAIR = 5
MAX_DELAY = timedelta(days=1)
#: Failed sign-ins from one address, whatever the accounts, within the window: a guesser
#: going through many accounts. High enough for an office behind one address.
MAX_FAILURES_PER_CLIENT = 50
CLIENT_WINDOW = timedelta(minutes=15)


def _keyed(value: str | None) -> str:
    return keyed_hash("login", (value or "").strip().lower())


def _lock(email_hash: str, client_hash: str) -> None:
    """Serialise the attempts of one account and address: PostgreSQL by an advisory lock
    held to the end of the transaction; SQLite by taking its write lock at once."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        key = int.from_bytes(bytes.fromhex((email_hash + client_hash)[:16]), "big",
                             signed=True)
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        connection.execute(sa.text("DELETE FROM login_attempt WHERE 0"))


def begin_attempt(email: str, client: str | None) -> tuple[LoginAttempt | None, int]:
    """Count this sign-in attempt before the password is checked, atomically: returns the
    attempt (to be kept if the password is wrong, dropped if right) or, when throttled,
    None and the seconds to wait. The right password from another address is not held up
    by failures from this one."""
    now = utcnow()
    email_hash, client_hash = _keyed(email), _keyed(client)
    _lock(email_hash, client_hash)
    day_ago = now - MAX_DELAY
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < day_ago))
    pair = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(LoginAttempt.at)).where(
            LoginAttempt.email_hash == email_hash, LoginAttempt.client_hash == client_hash,
            LoginAttempt.at >= day_ago)).one()
    failures, last = int(pair[0]), pair[1]
    wait = timedelta(0)
    if failures >= FREE_FAILURES_PER_PAIR and last is not None:
        delay = min(timedelta(minutes=2 ** (failures - FREE_FAILURES_PER_PAIR)), MAX_DELAY)
        wait = max(wait, last + delay - now)
    from_client = db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt).where(
        LoginAttempt.client_hash == client_hash, LoginAttempt.at >= now - CLIENT_WINDOW))
    if from_client >= MAX_FAILURES_PER_CLIENT:
        wait = max(wait, CLIENT_WINDOW)
    if wait > timedelta(0):
        db.session.commit()
        return None, max(1, int(wait.total_seconds()) + 1)
    attempt = LoginAttempt(email_hash=email_hash, client_hash=client_hash, at=now)
    db.session.add(attempt)
    # Committed before the password is checked: a parallel attempt sees it.
    db.session.commit()
    return attempt, 0


def end_attempt(attempt: LoginAttempt, succeeded: bool) -> None:
    """A right password does not count as a failure; a wrong one stays counted."""
    if succeeded:
        db.session.delete(attempt)
    # Failed sign-ins answer 401, which the request handler rolls back: keep this one.
    db.session.commit()


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the account named by a session (``User.get_id``), if it is
    active and its sessions have not been ended since (``end_sessions``)."""
    account, _, version = (user_id or "").partition(":")
    if not account.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(account))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session of the account, on every device."""
    user.session_version += 1


def session_expired(signed_in_at: float | None, seen_at: float | None, now: float) -> bool:
    """Whether a session has outlived ``SESSION_LIFETIME_HOURS`` since sign-in or been idle
    longer than ``SESSION_IDLE_MINUTES`` (times in seconds since the epoch)."""
    config = current_app.config
    if signed_in_at is None or seen_at is None:
        return True
    lifetime = config["SESSION_LIFETIME_HOURS"] * 3600
    idle = config["SESSION_IDLE_MINUTES"] * 60
    return now - signed_in_at > lifetime or now - seen_at > idle


def set_password(user: User, password: str, *, must_change: bool = False) -> None:
    """A new password: every session and API token of the account ends (whoever held the
    old one keeps nothing)."""
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    end_sessions(user)
    revoke_all(user)


#: A new password must be at least this long (NIST SP 800-63B: length, not character rules).
MIN_PASSWORD_LENGTH = 12


def password_problem(user: User, password: str) -> str | None:
    """Why ``password`` cannot be the account's new password, or None. In English; the
    forms translate their own messages."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if password.strip().lower() == user.email.lower():
        return "is_email"
    if check_password_hash(user.password_hash, password):
        return "unchanged"
    return None
