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
