"""Alert rules, the alerts they open, and the messages and inbox entries about them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from satisfaction.clock import utcnow
from satisfaction.db.accounts import User
from satisfaction.db.catalogue import IndexDefinition
from satisfaction.db.mixins import one_of
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.types import UTCDateTime


class AlertRule(db.Model):
    """When to tell a unit that it is below target: data, managed on a page and the CLI."""

    __tablename__ = "alert_rule"
    __table_args__ = (
        sa.CheckConstraint("target >= 0 AND target <= 100", name="target_percent"),
        sa.CheckConstraint("min_n >= 1", name="min_n_positive"),
        sa.CheckConstraint("false_flag_rate > 0 AND false_flag_rate < 1", name="rate_open"),
        sa.CheckConstraint(
            "window_kind IN ('days', 'month', 'quarter', 'year')", name="window_known"
        ),
        sa.CheckConstraint(
            "(window_kind = 'days') = (window_days IS NOT NULL AND window_days >= 1)",
            name="window_days_given",
        ),
        sa.CheckConstraint("level IN ('overall', 'element', 'criterion', 'all')",
                           name="level_known"),
        sa.CheckConstraint("shift > 0 AND shift < target", name="shift_below_target"),
        sa.CheckConstraint("years_per_false_alert > 0", name="years_positive"),
        sa.CheckConstraint("rejoin_days >= 0", name="rejoin_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    index_id: Mapped[int] = mapped_column(sa.ForeignKey("index_definition.id"))
    #: The questionnaire of the index whose answers are watched: each one is its own series
    #: (the QĐ 2640 counter form, the QĐ 1001 service part).
    questionnaire_code: Mapped[str] = mapped_column(sa.String(64))
    #: What is tested: the index, its elements, its criteria, or all of them.
    level: Mapped[str] = mapped_column(sa.String(16), default="all")
    #: Only this element or criterion (optional).
    code: Mapped[str | None] = mapped_column(sa.String(16))
    #: Percent satisfied.
    target: Mapped[float]
    window_kind: Mapped[str] = mapped_column(sa.String(16))
    window_days: Mapped[int | None]
    #: Below this many answers a measure is "not enough data", never "below target".
    min_n: Mapped[int]
    #: The reports' "below target": Benjamini–Hochberg false discovery rate across the units
    #: and measures of one report (the alerts use the sequential budget below).
    false_flag_rate: Mapped[float] = mapped_column(default=0.05)
    #: The drop below target (percentage points) the sequential check is built to catch.
    shift: Mapped[float] = mapped_column(default=7.0, server_default="7")
    #: A unit exactly at its target gets at most one false alert in this many years.
    years_per_false_alert: Mapped[float] = mapped_column(default=5.0, server_default="5")
    #: An alert that opens again within this many days of clearing continues the episode.
    rejoin_days: Mapped[int] = mapped_column(default=30, server_default="30")
    notify_unit: Mapped[bool] = mapped_column(default=True)
    notify_owner: Mapped[bool] = mapped_column(default=True)
    #: An alert with no remedy this many days after opening is escalated.
    escalate_after_days: Mapped[int] = mapped_column(default=14)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    index: Mapped[IndexDefinition] = relationship()

    @property
    def window_label(self) -> str:
        return f"{self.window_days}d" if self.window_kind == "days" else self.window_kind


class AlertState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"


class Alert(db.Model):
    """A unit found below target, with the evidence, until its score recovers."""

    __tablename__ = "alert"
    __table_args__ = (
        sa.CheckConstraint(one_of("state", AlertState), name="state_known"),
        # One live alert per rule and unit, whatever runs at the same time.
        sa.Index(
            "uq_alert_live", "rule_id", "unit_id", unique=True,
            sqlite_where=sa.text("state <> 'cleared'"),
            postgresql_where=sa.text("state <> 'cleared'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_rule.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: The headline measure: "" for the index, an element ("A") or a criterion ("A1").
    measure: Mapped[str] = mapped_column(sa.String(16))
    #: Every measure of the unit found below target: code, value, low, high, n, p, adjusted p.
    findings: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    state: Mapped[str] = mapped_column(sa.String(16), default=AlertState.OPEN.value)
    window_start: Mapped[date] = mapped_column(sa.Date)
    window_end: Mapped[date] = mapped_column(sa.Date)
    #: Evidence when opened (percent) over the rule's window: value (none without answers
    #: in the window), interval, answers, p-value.
    value: Mapped[float | None]
    low: Mapped[float | None]
    high: Mapped[float | None]
    n: Mapped[int]
    p_value: Mapped[float | None]
    adjusted_p: Mapped[float | None]
    target: Mapped[float]
    #: The latest value seen by a check (percent), to show recovery.
    latest_value: Mapped[float | None]
    latest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    remedy: Mapped[str | None] = mapped_column(sa.Text)
    remedy_owner: Mapped[str | None] = mapped_column(sa.String(200))
    remedy_due: Mapped[date | None] = mapped_column(sa.Date)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rule: Mapped[AlertRule] = relationship()
    unit: Mapped[Unit] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()


class Notification(db.Model):
    """One message about an alert to one recipient; kept until it is delivered."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.UniqueConstraint("alert_id", "kind", "channel", "recipient"),
        sa.CheckConstraint("kind IN ('opened', 'escalated')", name="kind_known"),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name="channel_known"),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("alert.id"), index=True)
    #: "opened": the alert itself; "escalated": no remedy in time, told to the owner office.
    kind: Mapped[str] = mapped_column(sa.String(16), default="opened", server_default="opened")
    channel: Mapped[str] = mapped_column(sa.String(16))
    recipient: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    alert: Mapped[Alert] = relationship()


class InboxEntry(db.Model):
    """An alert in a user's in-app inbox."""

    __tablename__ = "inbox_entry"
    __table_args__ = (sa.UniqueConstraint("user_id", "alert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("alert.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    alert: Mapped[Alert] = relationship()
