"""A queue for SQLite writers.

SQLite lets one writer at a time, and a writer that finds the database busy polls with
growing sleeps (1, 2, 5, 10 … 100 ms): under load the slowest submissions wait far longer
than the write takes. Survey writers queue on an operating-system file lock instead, shared
by every gunicorn worker on the machine, and wake the moment it is free. The lock is held
from the first write to the end of the request, after the commit. PostgreSQL needs none of
this: ``SQLITE_WRITE_LOCK`` is only set for a SQLite file.
"""

from __future__ import annotations

import fcntl
import os

from flask import current_app, g


def acquire() -> None:
    path = current_app.config.get("SQLITE_WRITE_LOCK")
    if not path or "write_lock" in g:
        return
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    g.write_lock = fd


def release(error: BaseException | None = None) -> None:
    fd = g.pop("write_lock", None)
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
