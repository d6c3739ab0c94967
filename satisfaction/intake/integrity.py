"""Integrity checks on survey answers: what each check means, and the checks that look only
at the answer itself. Pure functions: no Flask, no database.

A response that trips any check is quarantined: kept, left out of the indices, and listed
for an administrator who releases or rejects it. Nothing is ever deleted for looking odd.
The checks that need shared state (rate limits, bursts, the device cookie) live in
``intake.client_checks`` and report their findings with the same flag names.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from flask_babel import lazy_gettext as _l


class Flag(enum.StrEnum):
    HONEYPOT = "honeypot"
    TOO_FAST = "too_fast"
    STRAIGHT_LINING = "straight_lining"
    CLIENT_LIMIT = "client_limit"
    CODE_LIMIT = "code_limit"
    BURST_CLIENT = "burst_client"
    BURST_NETWORK = "burst_network"
    REPEAT_DEVICE = "repeat_device"


FLAG_LABELS = {
    Flag.HONEYPOT: _l("A hidden field that people cannot see was filled in (an automated form)"),
    Flag.TOO_FAST: _l("Answered faster than the minimum time to read the questions"),
    Flag.STRAIGHT_LINING: _l("Every item got the same answer, implausibly fast"),
    Flag.CLIENT_LIMIT: _l("Too many answers from one client"),
    Flag.CODE_LIMIT: _l("Too many answers on one QR code"),
    Flag.BURST_CLIENT: _l("A burst of answers on one code from one client"),
    Flag.BURST_NETWORK: _l("A burst of answers on one code from one network"),
    Flag.REPEAT_DEVICE: _l("The same device answered this counter again within a day"),
}

#: Fewer scored answers than this cannot show straight-lining.
STRAIGHT_LINE_MIN_ITEMS = 5


def content_flags(
    *,
    honeypot: str,
    elapsed_seconds: float | None,
    scored_answers: Iterable[int | None],
    min_seconds: float,
    straight_line_seconds: float,
) -> list[Flag]:
    """The checks that need only the submission: the hidden field, the time taken, and
    every item answered alike in less than ``straight_line_seconds``.

    A limit of 0 switches its check off. ``elapsed_seconds`` is None when unknown (it is
    then not held against the respondent).
    """
    flags = []
    if honeypot.strip():
        flags.append(Flag.HONEYPOT)
    if elapsed_seconds is not None and min_seconds and elapsed_seconds < min_seconds:
        flags.append(Flag.TOO_FAST)
    values = [v for v in scored_answers if v is not None]
    if (
        straight_line_seconds
        and elapsed_seconds is not None
        and elapsed_seconds < straight_line_seconds
        and len(values) >= STRAIGHT_LINE_MIN_ITEMS
        and len(set(values)) == 1
    ):
        flags.append(Flag.STRAIGHT_LINING)
    return flags


def is_recent_repeat(seen: Mapping[str, float], counter_id: int, now: float,
                     window_seconds: float) -> bool:
    """Whether a device's record of answered counters (counter id -> epoch seconds) shows
    this counter answered within the window."""
    last = seen.get(str(counter_id))
    return bool(window_seconds) and last is not None and 0 <= now - last < window_seconds


def remember_counter(seen: Mapping[str, float], counter_id: int, now: float,
                     window_seconds: float) -> dict[str, float]:
    """The device's record with this counter added and entries past the window dropped."""
    kept = {k: v for k, v in seen.items() if 0 <= now - v < window_seconds}
    kept[str(counter_id)] = now
    return kept


def flag_labels(flags: Iterable[str] | None) -> list[str]:
    return [str(FLAG_LABELS.get(flag, flag)) for flag in flags or ()]
