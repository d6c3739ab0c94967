"""A consistent copy of the database while the app serves, and bringing one back.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the pages of one
snapshot, however many writers there are. PostgreSQL: ``pg_dump --format=custom`` reads one
snapshot (a repeatable-read transaction) and ``pg_restore`` brings it back; both are
PostgreSQL's own tools, installed with its client package.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or a restore that could not be made; the message says why."""


def _libpq_url(url: str) -> str:
    """The database URL as libpq writes it (no SQLAlchemy driver name)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return Path(database)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install "
                          "postgresql-client)")
    return found


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy every page of one snapshot of ``source`` into ``target`` (online backup API)."""
    reading, writing = sqlite3.connect(source), sqlite3.connect(target)
    try:
        with writing:
            reading.backup(writing)
    finally:
        writing.close()
        reading.close()


def _run(tool: str, *args: str) -> None:
    done = subprocess.run([_tool(tool), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()}")


def backup(url: str, out: Path) -> None:
    """Write a consistent copy of the database at ``url`` to ``out``."""
    backend = make_url(url).get_backend_name()
    out.parent.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        _copy_sqlite(_sqlite_path(url), out)
    elif backend == "postgresql":
        _run("pg_dump", "--format=custom", "--no-owner", "--file", str(out), _libpq_url(url))
    else:
        raise BackupError(f"no backup for {backend} databases")


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` by the copy in ``source``. Stop the app servers
    first: their open connections would otherwise hold the old data or block."""
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        _copy_sqlite(source, _sqlite_path(url))
    elif backend == "postgresql":
        _run("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
             "--dbname", _libpq_url(url), str(source))
    else:
        raise BackupError(f"no restore for {backend} databases")
