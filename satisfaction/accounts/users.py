"""Staff accounts: created with a generated password, given a new one; each change is in
the audit log. Only flushes; the caller commits."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from satisfaction.accounts.auth import end_sessions, hash_password
from satisfaction.db.accounts import AuditEntry, Role, User
from satisfaction.db.units import Unit
from satisfaction.extensions import db


class UserError(ValueError):
    """An account that cannot be created or changed; the message says why."""


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def create_user(email: str, role: str, unit_code: str | None = None,
                name: str | None = None) -> tuple[User, str]:
    """A new account and its generated password (to be shown once)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise UserError(f"not an e-mail address: {email}")
    if role not in {r.value for r in Role}:
        raise UserError(f"unknown role {role}")
    if find_user(email) is not None:
        raise UserError(f"a user with e-mail {email} already exists")
    unit = None
    if unit_code:
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise UserError(f"unknown unit {unit_code}")
    elif role in (Role.UNIT_MANAGER, Role.INDEX_OWNER):
        raise UserError(f"--unit is required for the role {role}")
    password = secrets.token_urlsafe(12)
    user = User(email=email, name=name, role=role, unit_id=unit.id if unit else None,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.add(AuditEntry(action="users.create", subject=email,
                              details={"role": role, "unit": unit_code}))
    db.session.flush()
    return user, password


def new_password(user: User) -> str:
    """Give ``user`` a new random password and return it (to be shown once)."""
    password = secrets.token_urlsafe(12)
    user.password_hash = hash_password(password)
    end_sessions(user)  # whoever held the old password is signed out everywhere
    return password


def user_emails(user_ids) -> dict[int, str]:
    """The e-mail addresses of these accounts (to name who did what)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.email).where(User.id.in_(ids))).all())
