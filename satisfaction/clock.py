"""Time: stored in UTC, counted and shown in Ho Chi Minh City's local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_day(moment: datetime) -> date:
    """The calendar day in Ho Chi Minh City of an aware timestamp."""
    return moment.astimezone(LOCAL_TZ).date()


def today() -> date:
    """Today's date in Ho Chi Minh City."""
    return local_day(utcnow())


def local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The first and last instants of the local days ``start`` to ``end`` (inclusive)."""
    return (datetime.combine(start, time.min, LOCAL_TZ),
            datetime.combine(end, time.max, LOCAL_TZ))
