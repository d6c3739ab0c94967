"""Office operations: authentication and the unit/counter/QR overview."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from satisfaction.extensions import db
from satisfaction.models import Counter, QrToken, Response, Unit, User
from satisfaction.types import utcnow

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
