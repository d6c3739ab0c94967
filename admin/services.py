"""Office operations: the unit/counter/QR overview."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from satisfaction.db.catalogue import Questionnaire
from satisfaction.db.codes import QrToken
from satisfaction.db.responses import Response
from satisfaction.db.units import Counter, Unit
from satisfaction.extensions import db


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
