"""Office operations: authentication and the unit/counter/QR overview."""

from __future__ import annotations

from datetime import timedelta

import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from satisfaction.clock import utcnow
from satisfaction.db.accounts import LoginAttempt, User
from satisfaction.db.catalogue import Questionnaire
from satisfaction.db.codes import QrToken
from satisfaction.db.responses import Response
from satisfaction.db.units import Counter, Unit
from satisfaction.extensions import db
from satisfaction.privacy import keyed_hash

#: Compared against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    return user


#: Failed sign-ins allowed per e-mail, and per client, within the window.
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_CLIENT = 20
THROTTLE_WINDOW = timedelta(minutes=15)


def _keyed(value: str | None) -> str:
    return keyed_hash("login", (value or "").strip().lower())


def is_throttled(email: str, client: str | None) -> bool:
    """Too many recent failures for this e-mail or from this client (shared by every app
    server through the database)."""
    since = utcnow() - THROTTLE_WINDOW
    recent = sa.select(sa.func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since)
    by_email = db.session.scalar(recent.where(LoginAttempt.email_hash == _keyed(email)))
    by_client = db.session.scalar(recent.where(LoginAttempt.client_hash == _keyed(client)))
    return by_email >= MAX_FAILURES_PER_EMAIL or by_client >= MAX_FAILURES_PER_CLIENT


def record_failure(email: str, client: str | None) -> None:
    db.session.add(LoginAttempt(email_hash=_keyed(email), client_hash=_keyed(client)))
    day_ago = utcnow() - timedelta(days=1)
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < day_ago))
    # Failed sign-ins answer 401, which the request handler rolls back: keep this one.
    db.session.commit()


def active_user(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


def unit_tree() -> list[Unit]:
    """All units with their counters and codes, parents before children."""
    units = db.session.scalars(
        sa.select(Unit)
        .options(selectinload(Unit.counters).selectinload(Counter.qr_tokens).selectinload(
            QrToken.questionnaire
        ))
        .order_by(Unit.kind, Unit.code)
    ).all()
    order = {"district": 0, "ward": 1, "office": 2}
    return sorted(units, key=lambda unit: (order.get(unit.kind, 9), unit.code))


def counter_activity() -> dict[int, tuple[int, object]]:
    """Per counter: how many responses it has collected and when the last one came."""
    rows = db.session.execute(
        sa.select(Response.counter_id, sa.func.count(), sa.func.max(Response.submitted_at))
        .where(Response.counter_id.is_not(None))
        .group_by(Response.counter_id)
    )
    return {counter_id: (n, last) for counter_id, n, last in rows}


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG (error correction M, 4-module quiet zone)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(url)
    code.make(fit=True)
    # The factory names every path "qr-path"; ids must be unique when codes share a page.
    return code.make_image().to_string(encoding="unicode").replace(' id="qr-path"', "")


def questionnaire_choices(locale: str) -> list[tuple[str, str]]:
    return [
        (q.code, f"{q.title(locale)} ({q.code})")
        for q in db.session.scalars(sa.select(Questionnaire).order_by(Questionnaire.code))
    ]


def unread_count(user_id: int) -> int:
    from satisfaction.db.alerts import InboxEntry

    return db.session.scalar(sa.select(sa.func.count()).select_from(InboxEntry).where(
        InboxEntry.user_id == user_id, InboxEntry.read_at.is_(None)))
