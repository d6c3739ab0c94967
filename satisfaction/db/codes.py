"""The QR codes printed on (or opened by a tablet at) the counters."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from satisfaction.clock import utcnow
from satisfaction.db.catalogue import Questionnaire
from satisfaction.db.mixins import one_of
from satisfaction.db.units import Counter, ProcedureField
from satisfaction.extensions import db
from satisfaction.types import UTCDateTime


class Channel(enum.StrEnum):
    QR = "qr"
    KIOSK = "kiosk"
    PAPER = "paper"
    WEB = "web"


class QrToken(db.Model):
    """The random token printed as a QR code on a counter, bound to a questionnaire.

    A code is replaced by rotation: the new code works at once, the old one keeps working
    until ``expires_at`` (the grace period) and then points to ``replaced_by``. A revoked
    code never accepts answers.
    """

    __tablename__ = "qr_token"
    __table_args__ = (
        sa.CheckConstraint(one_of("channel", Channel), name="channel_known"),
        sa.CheckConstraint(
            "replaced_by_id IS NULL OR replaced_by_id <> id", name="not_own_successor"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random and unguessable (``secrets.token_urlsafe``); it is the survey URL's last part.
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: What a respondent types when the camera fails: ``/m/<short_code>`` redirects to the
    #: survey. Eight letters and digits from an alphabet without look-alikes.
    short_code: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counter.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire.id"))
    #: When set, the form comes with this procedure field chosen (a code per field).
    procedure_field_id: Mapped[int | None] = mapped_column(sa.ForeignKey("procedure_field.id"))
    #: "qr" for the printed code, "kiosk" for the tablet fixed at the counter.
    channel: Mapped[str] = mapped_column(
        sa.String(16), default=Channel.QR.value, server_default=Channel.QR.value
    )
    label: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the code is withdrawn; a revoked code never accepts answers.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: End of the grace period of a rotated code.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("qr_token.id"))

    counter: Mapped[Counter] = relationship(back_populates="qr_tokens")
    questionnaire: Mapped[Questionnaire] = relationship()
    procedure_field: Mapped[ProcedureField | None] = relationship()
    replaced_by: Mapped[QrToken | None] = relationship(remote_side=[id])

    def is_active_at(self, moment: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or moment < self.expires_at)

    @property
    def is_active(self) -> bool:
        return self.is_active_at(utcnow())

    @property
    def is_current(self) -> bool:
        """Active and not being replaced: the code to print."""
        return self.revoked_at is None and self.replaced_by_id is None
