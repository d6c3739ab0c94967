"""Dossier codes (mã hồ sơ) printed on one-stop receipts.

Only a keyed hash of a code is ever stored, for responses and for the dossier list alike.
"""

from __future__ import annotations

import re

from .privacy import dossier_hash

#: Receipt codes of the one-stop systems: letters, digits, dots, dashes and slashes,
#: e.g. ``000.00.20.H29-221103-0012``.
_CODE = re.compile(r"[A-Z0-9](?:[A-Z0-9./-]{4,38})[A-Z0-9]")


def normalise_code(raw: str | None) -> str | None:
    """The canonical form of a typed dossier code (upper case, no spaces), or None when it
    cannot be a dossier code."""
    code = re.sub(r"\s+", "", raw or "").upper()
    return code if _CODE.fullmatch(code) else None


def hash_code(raw: str) -> str | None:
    code = normalise_code(raw)
    return dossier_hash(code) if code else None
