"""Keyed hashes: how the product recognises a client, a network or a dossier code again
without ever storing the address or the code.

The key is ``HASH_KEY`` when set, otherwise derived from ``SECRET_KEY``. Changing it breaks
the link to hashes stored before (a reused dossier code would then go unnoticed), so a
deployment that rotates ``SECRET_KEY`` should pin ``HASH_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re

from flask import current_app

#: Hex digits kept of a client or network hash: enough to tell clients apart within a
#: counter's day, too few to be worth a dictionary attack on the address space.
CLIENT_HASH_LENGTH = 16


def _key(purpose: str) -> bytes:
    base = current_app.config.get("HASH_KEY") or current_app.secret_key
    return hmac.new(str(base).encode(), purpose.encode(), hashlib.sha256).digest()


def keyed_hash(purpose: str, value: str, length: int = 64) -> str:
    """HMAC-SHA256 of ``value`` under a key of its own for each ``purpose``, in hex."""
    return hmac.new(_key(purpose), value.encode(), hashlib.sha256).hexdigest()[:length]


def network_of(address: str | None) -> str:
    """The /24 of an IPv4 address, the /48 of an IPv6 one: what one site shares."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return address or ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def client_hashes(address: str | None) -> tuple[str, str]:
    """Truncated keyed hashes of a client address and of its network."""
    address = (address or "").strip()
    return (
        keyed_hash("client", address, CLIENT_HASH_LENGTH),
        keyed_hash("network", network_of(address), CLIENT_HASH_LENGTH),
    )


def dossier_hash(normalised_code: str) -> str:
    return keyed_hash("dossier", normalised_code)


# Personal data in free text (Decree 13/2023/NĐ-CP): what a comment shows of it is masked.
_UPPER = "".join(sorted({c for c in map(chr, range(0x41, 0x1EFA))
                         if c.isalpha() and c.isupper()}))
_NAME_WORD = f"[{re.escape(_UPPER)}][^\\W\\d_]*"
_NAME = f"{_NAME_WORD}(?:\\s+{_NAME_WORD}){{0,3}}"
_HONORIFIC = (r"(?i:anh|chị|ông|bà|cô|chú|bác|em|cháu|bạn|cậu|dì|thím|mợ|cán bộ|công chức|"
              r"tên là|tên)")
_MASKS = (
    ("[thư điện tử]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("[số điện thoại]", re.compile(r"(?<![\w/])(?:\+84|84|0)(?:[\s.-]?\d){9,10}(?![\d/])")),
    ("[số giấy tờ]", re.compile(r"(?<![\w/.-])\d{9,12}(?![\w/.-])")),
    ("[địa chỉ]", re.compile(
        r"(?i:số\s+(?:nhà\s+)?)?\d+[A-Za-z]?(?:/\d+[A-Za-z]?)*\s+"
        r"(?i:đường|phố|hẻm|ngõ|ngách|kiệt)\s+" + _NAME)),
    ("[địa chỉ]", re.compile(r"\d+[A-Za-z]?(?:/\d+[A-Za-z]?)+\s+" + _NAME)),
)
_NAMED = re.compile(f"(?<![\\w])({_HONORIFIC})\\s+{_NAME}")


def mask_personal_data(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers, ID numbers (CMND 9 and CCCD 12
    digits), house addresses and the names that follow a form of address ("chị Lan", "anh
    Nguyễn Văn A", "cán bộ Hùng") replaced by what they were: "[số điện thoại]" …"""
    for label, pattern in _MASKS:
        text = pattern.sub(label, text)
    return _NAMED.sub(lambda m: f"{m.group(1)} [họ tên]", text)


#: Words of a comment that accuses staff (harassment, money outside the rules): such a
#: comment goes to the inspector role, not to the head of the unit concerned.
_ACCUSATION = re.compile(
    r"(?i:sách nhiễu|nhũng nhiễu|phiền hà|gây khó|hạch sách|hối lộ|lót tay|bôi trơn|"
    r"vòi vĩnh|tiêu cực|tiền ngoài|chi thêm|đưa thêm tiền|bồi dưỡng|phong bì|"
    r"harass|bribe|kickback)")


def accuses_staff(text: str) -> bool:
    return bool(_ACCUSATION.search(text))
