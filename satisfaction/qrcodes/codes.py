"""QR codes of the counters: issuing, rotating, revoking, relabelling, and the counters'
dossier mode. No request here: the admin pages and the CLI call these, each change leaves
an ``AuditEntry``, and helpers only flush (the caller commits).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from satisfaction.clock import local_day, utcnow
from satisfaction.db.accounts import AuditEntry
from satisfaction.db.catalogue import Questionnaire
from satisfaction.db.codes import Channel, QrToken
from satisfaction.db.units import Counter, DossierMode, ProcedureField, Unit
from satisfaction.extensions import db

#: Letters and digits nobody confuses on a printed sign: no 0/O, 1/I/L.
SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SHORT_CODE_LENGTH = 8
#: The channels a counter's code can be issued for; paper and web have no code.
CODE_CHANNELS = (Channel.QR.value, Channel.KIOSK.value)
MAX_LABEL_LENGTH = 200


class QrCodeError(ValueError):
    """A change to a code or counter that is refused; ``reason`` is a stable key the pages
    translate, the message is for the CLI and logs."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def new_token() -> str:
    """A random, unguessable QR token (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def new_short_code() -> str:
    """A short code no other token has: 8 characters (about 40 bits) from the alphabet
    without look-alikes, stored without the dash that ``links.display_short_code`` adds.

    Too short to be unguessable, and it does not need to be: it only leads to the survey
    form, which is public at the counter anyway.
    """
    for _ in range(20):
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))
        # Autoflush makes codes given out earlier in this session visible to the query.
        if db.session.scalar(sa.select(QrToken.id).where(QrToken.short_code == code)) is None:
            return code
    # 31**8 codes: twenty collisions in a row mean something else is wrong.
    raise RuntimeError("no free short code found")


def _audit(action: str, subject: str, user_id: int | None, **details) -> None:
    db.session.add(AuditEntry(user_id=user_id, action=action, subject=subject, details=details))


def _subject(token: QrToken) -> str:
    return f"qr_token:{token.id}"


def _clean_label(label: str | None) -> str | None:
    label = (label or "").strip()
    if len(label) > MAX_LABEL_LENGTH:
        raise QrCodeError("label_too_long", f"a label has at most {MAX_LABEL_LENGTH} characters")
    return label or None


def issue_code(
    counter: Counter,
    questionnaire: Questionnaire,
    *,
    channel: str = Channel.QR.value,
    procedure_field: ProcedureField | None = None,
    label: str | None = None,
    user_id: int | None = None,
) -> QrToken:
    """A new code for a counter and questionnaire; with a procedure field, the form comes
    with that field chosen. Only printed ("qr") codes get a short code: a kiosk's tablet
    opens its link once and is never typed into."""
    if channel not in CODE_CHANNELS:
        raise QrCodeError("bad_channel", f"channel must be one of {', '.join(CODE_CHANNELS)}")
    token = QrToken(
        token=new_token(),
        short_code=new_short_code() if channel == Channel.QR.value else None,
        counter=counter,
        questionnaire=questionnaire,
        procedure_field=procedure_field,
        channel=channel,
        label=_clean_label(label),
    )
    db.session.add(token)
    db.session.flush()
    _audit(
        "qr.issue", _subject(token), user_id,
        unit=counter.unit.code, counter=counter.code, questionnaire=questionnaire.code,
        channel=channel, procedure_field=procedure_field.code if procedure_field else None,
        label=token.label, short_code=token.short_code,
    )
    return token


def rotate_code(
    token: QrToken, grace: timedelta, user_id: int | None = None, *, now: datetime | None = None
) -> QrToken:
    """Replace a code by a new one for the same counter, questionnaire, channel, procedure
    field and label. The old code keeps working for ``grace`` (posters are not all changed
    at once), then leads to the new one; a grace of zero ends it now."""
    if grace < timedelta(0):
        raise QrCodeError("bad_grace", "the grace period cannot be negative")
    if token.revoked_at is not None:
        raise QrCodeError("revoked", "this code was revoked; issue a new one instead")
    if token.replaced_by_id is not None:
        # Rotating it again would fork the chain: two codes both claiming to replace it.
        raise QrCodeError("replaced", "this code was already replaced; rotate the new one")
    now = now or utcnow()
    successor = QrToken(
        token=new_token(),
        short_code=new_short_code() if token.channel == Channel.QR.value else None,
        counter_id=token.counter_id,
        questionnaire_id=token.questionnaire_id,
        procedure_field_id=token.procedure_field_id,
        channel=token.channel,
        label=token.label,
    )
    db.session.add(successor)
    db.session.flush()
    end = now + grace
    # A code already due to end earlier keeps its earlier end.
    expires_at = end if token.expires_at is None else min(token.expires_at, end)
    # Conditional, so two admins rotating at once (on two app servers) cannot both win and
    # leave two live codes: the loser's successor is rolled back with its request.
    claimed = db.session.execute(
        sa.update(QrToken)
        .where(QrToken.id == token.id, QrToken.replaced_by_id.is_(None),
               QrToken.revoked_at.is_(None))
        .values(replaced_by_id=successor.id, expires_at=expires_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise QrCodeError("replaced", "this code was already replaced; rotate the new one")
    db.session.refresh(token)
    _audit(
        "qr.rotate", _subject(token), user_id,
        replaced_by=successor.id, grace_days=grace / timedelta(days=1),
        expires_at=token.expires_at.isoformat(),
    )
    return successor


def revoke_code(token: QrToken, user_id: int | None, *, now: datetime | None = None) -> None:
    """Withdraw a code at once (a lost tablet, a poster put up where it should not be).
    A code in its grace period can be revoked too: that ends the grace."""
    if token.revoked_at is not None:
        raise QrCodeError("revoked", "this code is already revoked")
    token.revoked_at = now or utcnow()
    db.session.flush()
    _audit("qr.revoke", _subject(token), user_id, short_code=token.short_code)


def relabel_code(token: QrToken, label: str | None, user_id: int | None) -> None:
    """Change the staff's label of a code (where the poster hangs, which tablet)."""
    old, token.label = token.label, _clean_label(label)
    db.session.flush()
    _audit("qr.label", _subject(token), user_id, old=old, new=token.label)


def set_dossier_mode(counter: Counter, mode: str, user_id: int | None) -> None:
    """Whether the counter's form asks for the dossier code on the receipt."""
    modes = [m.value for m in DossierMode]
    if mode not in modes:
        raise QrCodeError("bad_dossier_mode", f"dossier mode must be one of {', '.join(modes)}")
    old, counter.dossier_mode = counter.dossier_mode, mode
    db.session.flush()
    _audit(
        "counter.dossier_mode", f"counter:{counter.id}", user_id,
        unit=counter.unit.code, counter=counter.code, old=old, new=mode,
    )


def code_state(token: QrToken, now: datetime | None = None) -> str:
    """"current", "grace" (replaced, still working), "expired" or "revoked"."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if not token.is_active_at(now):
        return "expired"
    return "grace" if token.replaced_by_id is not None else "current"


def _printable(now: datetime):
    return sa.and_(
        QrToken.channel == Channel.QR.value,
        QrToken.revoked_at.is_(None),
        QrToken.replaced_by_id.is_(None),
        sa.or_(QrToken.expires_at.is_(None), QrToken.expires_at > now),
    )


def printable_codes(unit_ids: Iterable[int] | None = None, *, now: datetime | None = None
                    ) -> list[QrToken]:
    """The codes to print: current printed codes of the counters in service of the units
    in service (all of them when ``unit_ids`` is None), ordered by unit, counter, id.
    Codes in their grace period are left out: the poster to hang is the new one."""
    now = now or utcnow()
    today = local_day(now)
    query = (
        sa.select(QrToken)
        .join(Counter, Counter.id == QrToken.counter_id)
        .join(Unit, Unit.id == Counter.unit_id)
        .where(
            _printable(now),
            Counter.is_active.is_(True),
            Unit.valid_from <= today,
            sa.or_(Unit.valid_to.is_(None), Unit.valid_to >= today),
        )
        .options(
            selectinload(QrToken.counter).selectinload(Counter.unit),
            selectinload(QrToken.questionnaire),
            selectinload(QrToken.procedure_field),
        )
        .order_by(Unit.code, Counter.code, QrToken.id)
    )
    if unit_ids is not None:
        query = query.where(Unit.id.in_(sorted(unit_ids)))
    return list(db.session.scalars(query))


def normalise_short_code(typed: str | None) -> str | None:
    """A short code as stored, from what a person types (any case, dashes, spaces)."""
    code = (typed or "").upper().replace("-", "").replace(" ", "")
    return code if code.isalnum() and len(code) <= 16 else None


def find_code(text: str) -> QrToken | None:
    """A code by its token or its short code as typed (any case, with or without dash)."""
    text = (text or "").strip()
    if not text or len(text) > 64:
        return None
    token = db.session.scalar(sa.select(QrToken).where(QrToken.token == text))
    short = normalise_short_code(text)
    if token is None and short:
        token = db.session.scalar(sa.select(QrToken).where(QrToken.short_code == short))
    return token


def code_by_id(code_id: int) -> QrToken | None:
    # An id past the database's integer range is an error on PostgreSQL, not a miss.
    return db.session.get(QrToken, code_id) if 0 < code_id < 2**31 else None


def counter_of(unit: Unit, counter_code: str) -> Counter | None:
    return db.session.scalar(
        sa.select(Counter).where(Counter.unit_id == unit.id, Counter.code == counter_code))
