"""What citizens sent: responses and their answers, the dossier codes they gave, and the
dossier list imported from the one-stop system."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from satisfaction.clock import utcnow
from satisfaction.db.catalogue import QuestionnaireVersion
from satisfaction.db.codes import Channel
from satisfaction.db.mixins import one_of
from satisfaction.db.units import Counter, ProcedureField, Unit
from satisfaction.extensions import db
from satisfaction.types import UTCDateTime


class RespondentKind(enum.StrEnum):
    CITIZEN = "citizen"
    BUSINESS = "business"


class ResponseStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    QUARANTINED = "quarantined"
    REJECTED = "rejected"


class Response(db.Model):
    """One respondent's completed questionnaire."""

    __tablename__ = "response"
    __table_args__ = (
        sa.CheckConstraint(one_of("respondent_kind", RespondentKind), name="respondent_kind_known"),
        sa.CheckConstraint(one_of("channel", Channel), name="channel_known"),
        sa.CheckConstraint(one_of("status", ResponseStatus), name="status_known"),
        sa.CheckConstraint("length(comment) <= 2000", name="comment_length"),
        sa.Index("ix_response_unit_id_submitted_at", "unit_id", "submitted_at"),
        # Bursts: recent answers from one client, or one network, on one code.
        sa.Index("ix_response_client_hash", "client_hash", "submitted_at"),
        sa.Index("ix_response_network_hash", "network_hash", "submitted_at"),
        # Most answers carry no dossier code: only those that do are indexed.
        sa.Index(
            "ix_response_dossier_hash",
            "dossier_hash",
            sqlite_where=sa.text("dossier_hash IS NOT NULL"),
            postgresql_where=sa.text("dossier_hash IS NOT NULL"),
        ),
        # The review list: only quarantined responses are indexed.
        sa.Index(
            "ix_response_quarantined",
            "unit_id",
            "submitted_at",
            sqlite_where=sa.text("status = 'quarantined'"),
            postgresql_where=sa.text("status = 'quarantined'"),
        ),
        # The latest comments of a report: only commented responses are indexed.
        sa.Index(
            "ix_response_commented_at",
            "submitted_at",
            sqlite_where=sa.text("comment IS NOT NULL"),
            postgresql_where=sa.text("comment IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random id carried by the form; a retried POST with the same id stores nothing new.
    submission_key: Mapped[str] = mapped_column(sa.String(36), unique=True)
    questionnaire_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_version.id"), index=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    counter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counter.id"), index=True)
    qr_token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("qr_token.id"), index=True)
    procedure_field_id: Mapped[int | None] = mapped_column(sa.ForeignKey("procedure_field.id"))
    respondent_kind: Mapped[str] = mapped_column(sa.String(16))
    channel: Mapped[str] = mapped_column(sa.String(16))
    locale: Mapped[str] = mapped_column(sa.String(8))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default=ResponseStatus.ACCEPTED.value)
    #: The integrity checks this response tripped (see ``satisfaction.intake.integrity``).
    flags: Mapped[list[str] | None] = mapped_column(sa.JSON)
    #: Seconds from the form being served to it being sent.
    elapsed_seconds: Mapped[int | None]
    #: Keyed, truncated hashes of the client address and its network; never the address.
    #: Set to NULL after the retention period.
    client_hash: Mapped[str | None] = mapped_column(sa.String(16))
    network_hash: Mapped[str | None] = mapped_column(sa.String(16))
    #: Keyed hash of the dossier code on the receipt, never the code itself.
    dossier_hash: Mapped[str | None] = mapped_column(sa.String(64))
    #: The dossier code matched the list imported from the one-stop system.
    verified: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    review_reason: Mapped[str | None] = mapped_column(sa.Text)

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    unit: Mapped[Unit] = relationship()
    counter: Mapped[Counter | None] = relationship()
    procedure_field: Mapped[ProcedureField | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Answer.item_code"
    )


class Answer(db.Model):
    """The answer to one item; ``value`` NULL means the respondent had no opinion."""

    __tablename__ = "answer"
    __table_args__ = (sa.CheckConstraint("value IS NULL OR value >= 1", name="value_positive"),)

    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    item_code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    value: Mapped[int | None] = mapped_column(sa.SmallInteger)

    response: Mapped[Response] = relationship(back_populates="answers")


class DossierClaim(db.Model):
    """One response per dossier code per questionnaire, enforced by the database across
    app servers. A rejected response gives its claim up."""

    __tablename__ = "dossier_claim"

    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire.id"), primary_key=True
    )
    dossier_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("response.id", ondelete="CASCADE"), index=True
    )


class Dossier(db.Model):
    """A dossier handled by a unit, imported from the one-stop system; only its code's
    keyed hash is kept."""

    __tablename__ = "dossier"
    __table_args__ = (
        sa.CheckConstraint(
            "returned_on IS NULL OR returned_on >= received_on", name="returned_after_received"
        ),
        sa.Index("ix_dossier_unit_id_returned_on", "unit_id", "returned_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    procedure_field_id: Mapped[int | None] = mapped_column(sa.ForeignKey("procedure_field.id"))
    received_on: Mapped[date] = mapped_column(sa.Date)
    returned_on: Mapped[date | None] = mapped_column(sa.Date)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    procedure_field: Mapped[ProcedureField | None] = relationship()
