"""Staff accounts: created with a generated password that must be changed at the first
sign-in, listed, disabled and enabled, given a new role or a new password. A disabled
account, a new role or a new password ends the account's sessions at once. Each change is
in the audit log, with who made it (None: the command line). Only flushes; the caller
commits."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from satisfaction.accounts.auth import end_sessions, hash_password, set_password
from satisfaction.db.accounts import AuditEntry, Role, User
from satisfaction.db.units import Unit
from satisfaction.extensions import db


class UserError(ValueError):
    """An account that cannot be created or changed; the message says why."""


def _role_unit(role: str, unit_code: str | None) -> Unit | None:
    """The unit of an account with ``role``: checked to exist, and required for the roles
    tied to a unit."""
    if role not in {r.value for r in Role}:
        raise UserError(f"unknown role {role}")
    if not unit_code:
        if role in (Role.UNIT_MANAGER, Role.INDEX_OWNER):
            raise UserError(f"--unit is required for the role {role}")
        return None
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise UserError(f"unknown unit {unit_code}")
    return unit


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def create_user(email: str, role: str, unit_code: str | None = None,
                name: str | None = None, actor_id: int | None = None) -> tuple[User, str]:
    """A new account and its generated password (to be shown once)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise UserError(f"not an e-mail address: {email}")
    unit = _role_unit(role, unit_code)
    if find_user(email) is not None:
        raise UserError(f"a user with e-mail {email} already exists")
    password = secrets.token_urlsafe(12)
    user = User(email=email, name=name, role=role, unit_id=unit.id if unit else None,
                password_hash=hash_password(password), must_change_password=True)
    db.session.add(user)
    db.session.add(AuditEntry(action="users.create", subject=email, user_id=actor_id,
                              details={"role": role, "unit": unit_code}))
    db.session.flush()
    return user, password


def new_password(user: User, actor_id: int | None = None) -> str:
    """Give ``user`` a new random password and return it (to be shown once); it must be
    changed at the next sign-in, and whoever held the old one is signed out everywhere."""
    password = secrets.token_urlsafe(12)
    set_password(user, password, must_change=True)
    db.session.add(AuditEntry(action="users.password", subject=user.email, user_id=actor_id))
    return password


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.role, User.email)))


def set_active(user: User, active: bool, actor_id: int | None = None) -> None:
    """Disable (every session ends, tokens stop working) or enable an account. An
    administrator cannot disable their own account: someone must be left to enable it."""
    if not active and actor_id is not None and actor_id == user.id:
        raise UserError("you cannot disable your own account")
    if user.is_active == active:
        return
    user.is_active = active
    end_sessions(user)
    db.session.add(AuditEntry(action="users.enable" if active else "users.disable",
                              subject=user.email, user_id=actor_id))


def set_role(user: User, role: str, unit_code: str | None = None,
             actor_id: int | None = None) -> None:
    """A new role (and unit): the account's sessions end, so that no page opened under the
    old role stays open."""
    unit = _role_unit(role, unit_code)
    if actor_id is not None and actor_id == user.id and role != user.role:
        raise UserError("you cannot change your own role")
    before = {"role": user.role, "unit": user.unit.code if user.unit else None}
    user.role, user.unit_id = role, unit.id if unit else None
    end_sessions(user)
    db.session.add(AuditEntry(action="users.role", subject=user.email, user_id=actor_id,
                              details={"before": before, "role": role, "unit": unit_code}))


def user_emails(user_ids) -> dict[int, str]:
    """The e-mail addresses of these accounts (to name who did what)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.email).where(User.id.in_(ids))).all())
