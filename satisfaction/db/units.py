"""The organisation: units with their history (district, offices, wards), their one-stop
counters, and the fields of administrative procedures."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from satisfaction.clock import utcnow
from satisfaction.db.mixins import Localised, one_of
from satisfaction.extensions import db
from satisfaction.types import UTCDateTime

if TYPE_CHECKING:  # relationships to models of modules that import this one
    from satisfaction.db.codes import QrToken


class UnitKind(enum.StrEnum):
    #: A province or a centrally-run city (thành phố trực thuộc trung ương).
    PROVINCE = "province"
    CITY = "city"
    #: The district level, removed on 1 July 2025.
    DISTRICT = "district"
    #: An office or department of a province, a city or a district.
    OFFICE = "office"
    #: The level below the province since 1 July 2025 (before it, below the district).
    WARD = "ward"
    COMMUNE = "commune"
    SPECIAL_ZONE = "special_zone"


class DossierMode(enum.StrEnum):
    """Whether a counter's form asks for the dossier code printed on the receipt."""

    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED = "required"
    #: Required, and it must be in the dossier list imported from the one-stop system.
    VERIFIED = "verified"


class Unit(Localised, db.Model):
    """An organisational unit (city, district, office, ward, …) with the dates it existed.

    Units form a tree; a unit that ends (a merger, a reorganisation) points to its
    successor, where its counters went, and a unit made by a reorganisation lists its
    predecessors with the share of each that passed to it (``UnitLineage``), so a time
    series can follow it across the change.
    """

    __tablename__ = "unit"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", UnitKind), name="kind_known"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name_vi: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: First day the unit exists (inclusive).
    valid_from: Mapped[date] = mapped_column(sa.Date)
    #: Last day the unit exists (inclusive); NULL while it still exists.
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    #: The unit that took over this one's work when it ended.
    successor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Unit | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list[Unit]] = relationship(
        foreign_keys=[parent_id], back_populates="parent", order_by="Unit.code"
    )
    successor: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[successor_id])
    predecessors: Mapped[list[UnitLineage]] = relationship(
        foreign_keys="UnitLineage.unit_id", back_populates="unit",
        order_by="UnitLineage.predecessor_id",
    )
    counters: Mapped[list[Counter]] = relationship(back_populates="unit", order_by="Counter.code")

    def is_active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def existed_during(self, start: date, end: date) -> bool:
        """The unit existed on at least one day from ``start`` to ``end``."""
        return self.valid_from <= end and (self.valid_to is None or self.valid_to >= start)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class UnitLineage(db.Model):
    """A predecessor of a unit made by a reorganisation, and the share of it that passed to
    the unit: 1 for a whole ward merged in, less for a ward split between several."""

    __tablename__ = "unit_lineage"
    __table_args__ = (
        sa.CheckConstraint("share > 0 AND share <= 1", name="share_fraction"),
        sa.CheckConstraint("predecessor_id <> unit_id", name="not_own_predecessor"),
    )

    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("unit.id"), primary_key=True, index=True
    )
    #: The fraction of the predecessor (its population, its dossiers) that passed to the
    #: unit; answers carried over by a share below 1 are an estimate and shown as one.
    share: Mapped[float] = mapped_column(default=1.0)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id], back_populates="predecessors")
    predecessor: Mapped[Unit] = relationship(foreign_keys=[predecessor_id])


class Counter(Localised, db.Model):
    """A one-stop counter (bộ phận một cửa) of a unit, where citizens file procedures."""

    __tablename__ = "counter"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "code"),
        sa.CheckConstraint(one_of("dossier_mode", DossierMode), name="dossier_mode_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name_vi: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    dossier_mode: Mapped[str] = mapped_column(
        sa.String(16), default=DossierMode.OPTIONAL.value,
        server_default=DossierMode.OPTIONAL.value,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="counters")
    qr_tokens: Mapped[list[QrToken]] = relationship(
        back_populates="counter", order_by="QrToken.created_at"
    )


class ProcedureField(Localised, db.Model):
    """A field of administrative procedures (lĩnh vực TTHC), e.g. Hộ tịch, Đất đai."""

    __tablename__ = "procedure_field"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_vi: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
