"""Reporting periods: a month, a quarter, a year or any date range, in local days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


class PeriodError(ValueError):
    """A period that cannot be understood; the message is shown to the user."""


@dataclass(frozen=True)
class Period:
    start: date
    #: Last day, inclusive.
    end: date
    #: "year", "quarter", "month" or "range".
    kind: str = "range"

    def __post_init__(self):
        if self.end < self.start:
            raise PeriodError("end_before_start")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def previous(self) -> Period:
        """The period of the same kind just before (a range: as many days just before)."""
        if self.kind == "year":
            return year(self.start.year - 1)
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            return quarter(self.start.year - (q == 1), 4 if q == 1 else q - 1)
        if self.kind == "month":
            before = self.start - timedelta(days=1)
            return month(before.year, before.month)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def months(self) -> list[tuple[int, int]]:
        result, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            result.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return result


def _month_end(y: int, m: int) -> date:
    return (date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)) - timedelta(days=1)


def year(y: int) -> Period:
    return Period(date(y, 1, 1), date(y, 12, 31), "year")


def quarter(y: int, q: int) -> Period:
    return Period(date(y, 3 * q - 2, 1), _month_end(y, 3 * q), "quarter")


def month(y: int, m: int) -> Period:
    return Period(date(y, m, 1), _month_end(y, m), "month")


_DATE = r"(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4})-(\d{2})-(\d{2})"


def _date(groups: tuple) -> date:
    d, m, y, iy, im, id_ = groups
    return date(int(y), int(m), int(d)) if y else date(int(iy), int(im), int(id_))


def _named(text: str) -> Period | None:
    """A period as people type it: 2026, năm 2026; 2026-Q4, Q4/2026, Quý 4/2026, quý IV
    năm 2026; 2026-10, 10/2026, T10/2026, tháng 10/2026; a range of two dates, 01/10/2026 –
    31/12/2026 or 2026-10-01/2026-12-31. None when it is none of these."""
    text = " ".join(text.strip().split())
    roman = {"I": "1", "II": "2", "III": "3", "IV": "4"}
    text = re.sub(r"(?i)\b(quý|q)\s*(IV|III|II|I)\b",
                  lambda m: m.group(1) + roman[m.group(2).upper()], text)
    patterns = (
        (r"(?:năm\s*)?(\d{4})", lambda m: year(int(m[1]))),
        (r"(\d{4})\s*-\s*q\s*([1-4])", lambda m: quarter(int(m[1]), int(m[2]))),
        (r"(?:quý|q)\s*([1-4])\s*(?:/|-|năm)\s*(\d{4})", lambda m: quarter(int(m[2]), int(m[1]))),
        (r"(\d{4})-(\d{1,2})", lambda m: month(int(m[1]), int(m[2]))),
        (r"(?:tháng|t)?\s*(\d{1,2})\s*(?:/|-|năm)\s*(\d{4})",
         lambda m: month(int(m[2]), int(m[1]))),
    )
    for pattern, build in patterns:
        if m := re.fullmatch(pattern, text, flags=re.IGNORECASE):
            return build(m)
    if m := re.fullmatch(rf"(?:từ\s*)?(?:{_DATE})\s*(?:–|—|-|/|đến)\s*(?:{_DATE})", text,
                         flags=re.IGNORECASE):
        groups = m.groups()
        found = Period(_date(groups[:6]), _date(groups[6:]))
        if found.days > 366 * 10:
            raise PeriodError("too_long")
        return found
    return None


def parse(period: str | None = None, start: str | None = None, end: str | None = None,
          *, today: date | None = None) -> Period:
    """``period`` like 2026, 2026-Q1 or 2026-03, or ``start``/``end`` as YYYY-MM-DD.

    With neither, the current year to date. Raises PeriodError with a message key:
    ``bad_period``, ``bad_date``, ``end_before_start``, ``too_long``.
    """
    today = today or date.today()
    try:
        if period:
            named = _named(period)
            if named is not None:
                return named
            raise PeriodError("bad_period")
        if start or end:
            try:
                first = date.fromisoformat(start) if start else date(today.year, 1, 1)
                last = date.fromisoformat(end) if end else today
            except ValueError as exc:
                raise PeriodError("bad_date") from exc
            result = Period(first, last)
        else:
            result = Period(date(today.year, 1, 1), today)
    except ValueError as exc:  # month 13, year 0 …
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError("bad_period") from exc
    if result.days > 366 * 10:
        raise PeriodError("too_long")
    return result
