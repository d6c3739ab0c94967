"""The catalogue as stored: questionnaire families and their immutable versions, the
indices (owner office, target, scoring method) and units' own targets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from satisfaction.clock import utcnow
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.types import UTCDateTime


class Questionnaire(db.Model):
    """A questionnaire family (e.g. ``sipas-2640``); its content lives in its versions."""

    __tablename__ = "questionnaire"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    index_code: Mapped[str] = mapped_column(sa.String(32))
    title_vi: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300))

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.version"
    )

    def title(self, locale: str | None = "vi") -> str:
        return self.title_en if locale == "en" else self.title_vi


class QuestionnaireVersion(db.Model):
    """One immutable version of a questionnaire, as loaded from its data file.

    Once a version has responses its definition never changes; a change is a new version.
    """

    __tablename__ = "questionnaire_version"
    __table_args__ = (
        sa.UniqueConstraint("questionnaire_id", "version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire.id"))
    version: Mapped[int]
    #: The validated data file, as loaded.
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: SHA-256 of the canonical JSON of ``definition``; detects an edited data file.
    checksum: Mapped[str] = mapped_column(sa.String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")


class IndexDefinition(db.Model):
    """An index of the catalogue (SIPAS, PCI, PAPI, PAR INDEX, business support), loaded from
    ``data/indices.json``: who owns it, its target, and how it is scored."""

    __tablename__ = "index_definition"
    __table_args__ = (
        sa.CheckConstraint("commendation_rule IN ('lower_bound', 'value')",
                           name="commendation_rule_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_vi: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    #: The office that advises on the index and to which units report.
    owner_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    #: Comma-separated respondent kinds, e.g. "citizen,business".
    audience: Mapped[str] = mapped_column(sa.String(64))
    #: Default target on the index's own scale; a unit may have its own (``IndexTarget``).
    target: Mapped[float]
    #: Name of the scoring function in ``satisfaction.indices.scoring.METHODS``.
    method: Mapped[str] = mapped_column(sa.String(32))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    questionnaire_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    scale_min: Mapped[float]
    scale_max: Mapped[float]
    scale_unit: Mapped[str] = mapped_column(sa.String(16), default="")
    note_vi: Mapped[str] = mapped_column(sa.Text, default="")
    note_en: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    #: Set by the index owner, not the catalogue file: a commendation candidate has enough
    #: answers and its lower 95 % bound ("lower_bound") or its value ("value") at the target.
    commendation_rule: Mapped[str] = mapped_column(sa.String(16), default="lower_bound",
                                                   server_default="lower_bound")

    owner: Mapped[Unit | None] = relationship()

    def name(self, locale: str | None = "vi") -> str:
        return self.name_en if locale == "en" else self.name_vi

    def note(self, locale: str | None = "vi") -> str:
        return self.note_en if locale == "en" else self.note_vi


class IndexTarget(db.Model):
    """A unit's own target for an index, overriding the catalogue's default."""

    __tablename__ = "index_target"
    __table_args__ = (sa.UniqueConstraint("index_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    index_id: Mapped[int] = mapped_column(sa.ForeignKey("index_definition.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    target: Mapped[float]
