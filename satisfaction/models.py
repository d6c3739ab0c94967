"""The data model: units with history, counters, questionnaires, QR codes, responses, users."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from satisfaction.clock import utcnow
from satisfaction.extensions import db
from satisfaction.types import UTCDateTime


class UnitKind(enum.StrEnum):
    DISTRICT = "district"
    OFFICE = "office"
    WARD = "ward"


class RespondentKind(enum.StrEnum):
    CITIZEN = "citizen"
    BUSINESS = "business"


class Channel(enum.StrEnum):
    QR = "qr"
    KIOSK = "kiosk"
    PAPER = "paper"
    WEB = "web"


class ResponseStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    QUARANTINED = "quarantined"
    REJECTED = "rejected"


class DossierMode(enum.StrEnum):
    """Whether a counter's form asks for the dossier code printed on the receipt."""

    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED = "required"
    #: Required, and it must be in the dossier list imported from the one-stop system.
    VERIFIED = "verified"


class Role(enum.StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    INDEX_OWNER = "index_owner"
    UNIT_MANAGER = "unit_manager"
    OBSERVER = "observer"


def _in(column: str, enum_cls: type[enum.StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum_cls)
    return f"{column} IN ({values})"


class Localised:
    """Models with ``name_vi``/``name_en`` columns pick the name for a locale."""

    name_vi: Mapped[str]
    name_en: Mapped[str]

    def name(self, locale: str | None = "vi") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi


class Unit(Localised, db.Model):
    """An organisational unit (district, office, ward) with the dates it existed.

    Units form a tree; a unit that ends (a merger, a reorganisation) points to its
    successor so a time series can follow it.
    """

    __tablename__ = "unit"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", UnitKind), name="kind_known"),
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
    counters: Mapped[list[Counter]] = relationship(back_populates="unit", order_by="Counter.code")

    def is_active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Counter(Localised, db.Model):
    """A one-stop counter (bộ phận một cửa) of a unit, where citizens file procedures."""

    __tablename__ = "counter"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "code"),
        sa.CheckConstraint(_in("dossier_mode", DossierMode), name="dossier_mode_known"),
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


class QrToken(db.Model):
    """The random token printed as a QR code on a counter, bound to a questionnaire.

    A code is replaced by rotation: the new code works at once, the old one keeps working
    until ``expires_at`` (the grace period) and then points to ``replaced_by``. A revoked
    code never accepts answers.
    """

    __tablename__ = "qr_token"
    __table_args__ = (
        sa.CheckConstraint(_in("channel", Channel), name="channel_known"),
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


class Response(db.Model):
    """One respondent's completed questionnaire."""

    __tablename__ = "response"
    __table_args__ = (
        sa.CheckConstraint(_in("respondent_kind", RespondentKind), name="respondent_kind_known"),
        sa.CheckConstraint(_in("channel", Channel), name="channel_known"),
        sa.CheckConstraint(_in("status", ResponseStatus), name="status_known"),
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
    #: The integrity checks this response tripped (see ``satisfaction.integrity``).
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


class User(db.Model):
    """A signed-in official: administrator, reviewer, index owner, unit manager, observer."""

    __tablename__ = "user_account"
    __table_args__ = (sa.CheckConstraint(_in("role", Role), name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit | None] = relationship()


class IndexDefinition(db.Model):
    """An index of the catalogue (SIPAS, PCI, PAPI, PAR INDEX, business support), loaded from
    ``data/indices.json``: who owns it, its target, and how it is scored."""

    __tablename__ = "index_definition"

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
    #: Name of the scoring function in ``satisfaction.scoring.METHODS``.
    method: Mapped[str] = mapped_column(sa.String(32))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    questionnaire_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    scale_min: Mapped[float]
    scale_max: Mapped[float]
    scale_unit: Mapped[str] = mapped_column(sa.String(16), default="")
    note_vi: Mapped[str] = mapped_column(sa.Text, default="")
    note_en: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)

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


class ApiToken(db.Model):
    """A bearer token for the read-only API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    index_id: Mapped[int] = mapped_column(sa.ForeignKey("index_definition.id"))
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
    #: Benjamini–Hochberg false discovery rate across all units and measures of one check.
    false_flag_rate: Mapped[float] = mapped_column(default=0.05)
    notify_unit: Mapped[bool] = mapped_column(default=True)
    notify_owner: Mapped[bool] = mapped_column(default=True)
    #: An acknowledged alert with no remedy after this many days is escalated.
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
        sa.CheckConstraint(_in("state", AlertState), name="state_known"),
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
    #: Evidence when opened (percent): value, interval, answers, p-values.
    value: Mapped[float]
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
        sa.UniqueConstraint("alert_id", "channel", "recipient"),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name="channel_known"),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("alert.id"), index=True)
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
