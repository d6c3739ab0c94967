"""The integrity checks that need shared state: rate limits (the ``limits`` library's
counters, in Redis when several app servers run), bursts (the responses table) and the
device cookie.

They never refuse an answer: they return flags, and a flagged answer is stored in
quarantine (``intake.integrity``). Only the hard ceiling (``enforce_hard_limit``) answers
429, far above anything a person can do. Nothing here reads the request: the survey view
says who the client is (``Client``) and sets the device cookie it is given back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from satisfaction import privacy
from satisfaction.clock import utcnow
from satisfaction.db.responses import Response
from satisfaction.extensions import db
from satisfaction.intake import integrity
from satisfaction.intake.integrity import Flag
from satisfaction.intake.rate_counters import rate_counters


@dataclass(frozen=True)
class Client:
    """Who is answering, as far as the checks need to know: keyed hashes of the address and
    of its network (never the address), and the signed device cookie the browser sent."""

    client_hash: str
    network_hash: str
    device_cookie: str | None = None

    @classmethod
    def at(cls, address: str | None, device_cookie: str | None = None) -> Client:
        client_hash, network_hash = privacy.client_hashes(address)
        return cls(client_hash, network_hash, device_cookie)


@dataclass
class ClientChecks:
    """What the shared-state checks found for one submission, and what to remember."""

    flags: list[Flag] = field(default_factory=list)
    client_hash: str | None = None
    network_hash: str | None = None
    #: The device cookie's new value, when it should be set.
    device_cookie: str | None = None


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="survey-device")


def _read_device_cookie(raw: str | None) -> dict[str, float]:
    if not raw or len(raw) > 2000:
        return {}
    try:
        seen = _device_serializer().loads(raw)
    except BadSignature:
        return {}
    if not isinstance(seen, dict):
        return {}
    return {str(k): float(v) for k, v in seen.items() if isinstance(v, int | float)}


@cache
def _limits(limit_text: str) -> tuple:
    """The limits of a setting such as "120 per minute; 1000 per hour", parsed once (this
    is the hot path)."""
    return tuple(parse_many(limit_text)) if limit_text else ()


def enforce_hard_limit(channel: str, client: Client) -> None:
    """The flood ceiling on posting answers, per client and channel (a kiosk and the
    phones on the same office network each have their own): beyond it, 429 and nothing
    read or stored. Kept in the same counters as the other limits (Redis when several app
    servers run)."""
    limit_text = current_app.config["SURVEY_HARD_LIMIT"]
    if not _hit(limit_text, "hard", channel, client.client_hash):
        longest = max(limit.get_expiry() for limit in _limits(limit_text))
        raise TooManyRequests(retry_after=longest)


def _hit(limit_text: str, *identifiers: str) -> bool:
    """Count one answer against each limit of a setting; False once one is exceeded. When
    the counters' storage (Redis) is down the answer is not held against anyone: the
    burst checks, read from the database, still apply."""
    limits = _limits(limit_text)
    if not limits:
        return True
    counters = rate_counters()
    try:
        # Every limit counts the answer, as Flask-Limiter did: no short-circuit.
        results = [counters.hit(limit, "survey", *identifiers) for limit in limits]
    except Exception:  # the storage's own errors (redis.ConnectionError, timeouts, ...)
        current_app.logger.warning("rate-limit storage unavailable", exc_info=True)
        return True
    return all(results)


@cache
def _recent_counts_statement() -> sa.Select:
    def recent(column, value: str):
        return (
            sa.select(sa.func.count()).select_from(Response)
            .where(column == sa.bindparam(value), Response.submitted_at >= sa.bindparam("since"),
                   Response.qr_token_id == sa.bindparam("token_id"))
            .scalar_subquery()
        )

    return sa.select(recent(Response.client_hash, "client_hash"),
                     recent(Response.network_hash, "network_hash"))


def _recent_counts(client_hash: str, network_hash: str, token_id: int,
                   minutes: int) -> tuple[int, int]:
    """Answers on this code in the last minutes from this client, and from its network:
    one round trip, each count read from its own index. The statement is built once
    (this is the hot path)."""
    row = db.session.connection().execute(_recent_counts_statement(), {
        "client_hash": client_hash, "network_hash": network_hash, "token_id": token_id,
        "since": utcnow() - timedelta(minutes=minutes),
    }).one()
    return row[0], row[1]


def check_client(client: Client, *, token_id: int, counter_id: int,
                 kiosk: bool) -> ClientChecks:
    """Rate limits, bursts and the device cookie for an answer about to be stored.

    A kiosk is one tablet that every citizen uses in turn: its answers share a client and
    a device by design, so only the per-code limit applies to it.
    """
    config = current_app.config
    result = ClientChecks()
    if not _hit(config["SURVEY_CODE_LIMIT"], "code", str(token_id)):
        result.flags.append(Flag.CODE_LIMIT)
    if kiosk:
        return result

    result.client_hash, result.network_hash = client.client_hash, client.network_hash
    if not _hit(config["SURVEY_CLIENT_LIMIT"], "client", result.client_hash):
        result.flags.append(Flag.CLIENT_LIMIT)
    per_client, per_network = config["SURVEY_BURST_CLIENT"], config["SURVEY_BURST_NETWORK"]
    if per_client or per_network:
        by_client, by_network = _recent_counts(
            result.client_hash, result.network_hash, token_id, config["SURVEY_BURST_MINUTES"]
        )
        # The answer being checked is not stored yet: "N before it" makes N+1 in all.
        if per_client and by_client >= per_client:
            result.flags.append(Flag.BURST_CLIENT)
        if per_network and by_network >= per_network:
            result.flags.append(Flag.BURST_NETWORK)

    window = config["SURVEY_DEVICE_REPEAT_HOURS"] * 3600
    if window:
        now = time.time()
        seen = _read_device_cookie(client.device_cookie)
        if integrity.is_recent_repeat(seen, counter_id, now, window):
            result.flags.append(Flag.REPEAT_DEVICE)
        result.device_cookie = _device_serializer().dumps(
            integrity.remember_counter(seen, counter_id, now, window)
        )
    return result
