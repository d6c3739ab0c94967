"""The per-day and per-month count tables the reports and alerts read (kept up to date by
``satisfaction.counts``)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from satisfaction.extensions import db

#: The count tables are stored in their primary key on SQLite (``WITHOUT ROWID``): each
#: upsert then writes one b-tree, not a table and its key index, so a stored answer writes
#: about 30 % fewer pages, and a report reads each row where its key is. PostgreSQL has no
#: such option and ignores it.
_COUNT_TABLE = {"sqlite_with_rowid": False}


class DailyCount(db.Model):
    """How many answers each value of an item received, per unit and local day.

    Kept up to date in the transaction that stores (or releases) a response, so reports
    cost units × days × items, whatever the number of responses. ``value`` 0 counts
    "no opinion" (a key column cannot be NULL).
    """

    __tablename__ = "daily_count"
    __table_args__ = _COUNT_TABLE

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_version.id"), primary_key=True
    )
    item_code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    value: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class DailyResponseCount(db.Model):
    """How many accepted responses a unit received on a local day, per questionnaire version."""

    __tablename__ = "daily_response_count"
    __table_args__ = _COUNT_TABLE

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_version.id"), primary_key=True
    )
    count: Mapped[int] = mapped_column(default=0)


class VerifiedDayCount(db.Model):
    """Accepted responses whose dossier code is on the imported list, per local day: kept
    at submission, at release from quarantine and at each dossier import, so the verified
    share of a report costs units x days, not the number of responses."""

    __tablename__ = "verified_day_count"
    __table_args__ = _COUNT_TABLE

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_version.id"), primary_key=True
    )
    count: Mapped[int] = mapped_column(default=0)


class DossierDayCount(db.Model):
    """Dossiers on the imported list per unit and local day, kept by the import: state
    "returned" counts by the day a dossier was returned, "open" by the day it was received
    while it is not returned."""

    __tablename__ = "dossier_day_count"
    __table_args__ = (
        sa.CheckConstraint("state IN ('returned', 'open')", name="state_known"),
        _COUNT_TABLE,
    )

    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class MonthlyCount(db.Model):
    """The per-day counts summed by calendar month (``month`` is its first day).

    Reports over whole months read these: a year is 12 rows per unit, item and value.
    """

    __tablename__ = "monthly_count"
    __table_args__ = _COUNT_TABLE

    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_version.id"), primary_key=True
    )
    item_code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    value: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class MonthlyResponseCount(db.Model):
    """Accepted responses per unit, calendar month and questionnaire version."""

    __tablename__ = "monthly_response_count"
    __table_args__ = _COUNT_TABLE

    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_version.id"), primary_key=True
    )
    count: Mapped[int] = mapped_column(default=0)
