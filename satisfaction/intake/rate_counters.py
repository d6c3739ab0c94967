"""The counters of the survey's rate limits (the integrity checks and the flood ceiling):
in Redis when several app servers must share them (``REDIS_URL``), else in memory.

A rate-limit storage for one app server without Redis:

``limits``' own memory storage expires entries from a timer thread that wakes 100 times a
second while there is traffic and scans every key each time: with the thousands of client
keys a busy day brings, that thread alone keeps a core busy in every worker. This one
sweeps inline, at most every ``SWEEP_SECONDS``, and also drops the keys left empty (the
original keeps them, so its scan grows for ever). The limits stay exact because the moving
window compares timestamps on every hit, not on the sweep.
"""

from __future__ import annotations

import bisect
import time

from flask import Flask, current_app
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter


class LazyMemoryStorage(MemoryStorage):
    """``lazymemory://``: limits' ``memory://`` without the expiry thread."""

    STORAGE_SCHEME = ["lazymemory"]
    SWEEP_SECONDS = 30.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()
        self._next_sweep = time.monotonic() + self.SWEEP_SECONDS

    # Replaces MemoryStorage's private __schedule_expiry (limits pinned in requirements.txt;
    # the intake tests check that no thread is started and that limits still hold).
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            self.sweep()

    def sweep(self) -> None:
        """Drop expired entries, and the keys they leave empty."""
        wall = time.time()
        for key in list(self.events):
            with self.locks[key]:
                events = self.events.get(key, [])
                # Newest first: the live entries are a prefix of the list.
                live = bisect.bisect_left(events, -wall, key=lambda entry: -entry.expiry)
                if live:
                    self.events[key] = events[:live]
                else:
                    self.events.pop(key, None)
            if key not in self.events:
                self.locks.pop(key, None)
        for key, expires in list(self.expirations.items()):
            if expires <= wall:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)


def init_rate_counters(app: Flask) -> None:
    """One set of counters per app: Redis when several app servers must share them, memory
    for a single server. Keys are keyed hashes, so no client address reaches Redis."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "lazymemory://")
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["rate_counters"] = MovingWindowRateLimiter(storage)


def rate_counters() -> MovingWindowRateLimiter:
    return current_app.extensions["rate_counters"]
