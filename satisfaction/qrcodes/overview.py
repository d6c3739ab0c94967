"""The units a user sees with their counters and codes, and each counter's activity: what
the QR code pages list."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from satisfaction.accounts.access import Scope
from satisfaction.db.codes import QrToken
from satisfaction.db.responses import Response
from satisfaction.db.units import Counter, Unit
from satisfaction.extensions import db
from satisfaction.units.tree import in_display_order


def units_with_codes(scope: Scope) -> list[Unit]:
    """The units ``scope`` sees, with their counters and codes loaded, in display order."""
    units = db.session.scalars(
        sa.select(Unit)
        .where(scope.unit_filter(Unit.id))
        .options(selectinload(Unit.counters).selectinload(Counter.qr_tokens)
                 .selectinload(QrToken.questionnaire))
    ).all()
    return in_display_order(units)


def counter_activity() -> dict[int, tuple[int, datetime]]:
    """Per counter: how many responses it has collected and when the last one came."""
    rows = db.session.execute(
        sa.select(Response.counter_id, sa.func.count(), sa.func.max(Response.submitted_at))
        .where(Response.counter_id.is_not(None))
        .group_by(Response.counter_id)
    )
    return {counter_id: (n, last) for counter_id, n, last in rows}
