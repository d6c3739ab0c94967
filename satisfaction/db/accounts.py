"""Staff accounts, their API tokens, failed sign-ins, and the audit log of changes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from satisfaction.clock import utcnow
from satisfaction.db.mixins import one_of
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.types import UTCDateTime


class Role(enum.StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    INDEX_OWNER = "index_owner"
    UNIT_MANAGER = "unit_manager"
    OBSERVER = "observer"
    #: Reads the answers that accuse staff (harassment, informal payments), which are kept
    #: from the head of the unit concerned.
    INSPECTOR = "inspector"


class User(db.Model):
    """A signed-in official: administrator, reviewer, index owner, unit manager, observer."""

    __tablename__ = "user_account"
    __table_args__ = (sa.CheckConstraint(one_of("role", Role), name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Kept in each session; raising it (sign-out, new password, new role, disabled) ends
    #: every session of the account, wherever its cookies are.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    #: A password someone else has seen (printed by the CLI or by ``make run``): the next
    #: sign-in must replace it before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False,
                                                       server_default=sa.false())

    unit: Mapped[Unit | None] = relationship()

    # What Flask-Login asks of a user (is_active is the column above).
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """The account and its session version: a session from before the version was
        raised names a version that no longer loads."""
        return f"{self.id}:{self.session_version}"


class ApiToken(db.Model):
    """A bearer token for the read-only API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: None for tokens issued before tokens expired (migration 0016 gives them 90 days).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the token is for, as its owner named it ("cổng dữ liệu thành phố").
    label: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """A failed sign-in, for throttling across all app servers; identifiers are keyed hashes."""

    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("ix_login_attempt_email_hash_at", "email_hash", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(sa.String(64))
    client_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(db.Model):
    """Who changed what, when: imports, users, tokens, targets, releases."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
