"""The database engine's settings that SQLAlchemy's URL cannot carry."""

from __future__ import annotations

import sqlite3
from datetime import date

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from satisfaction.extensions import db


def configure_sqlite(app: Flask) -> None:
    """WAL, a busy timeout and foreign keys on every SQLite connection, and the path of the
    writers' queue (``SQLITE_WRITE_LOCK``) for a database file."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    # Driver-level SQL (the count upserts) passes dates as they are: store them as the same
    # ISO text SQLAlchemy's Date type writes (Python 3.12 deprecates the implicit adapter).
    # By exact type, so datetimes are not affected.
    sqlite3.register_adapter(date, date.isoformat)

    def on_connect(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        # WAL lets readers work while one writer commits; several gunicorn workers share it.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    with app.app_context():
        event.listen(db.engine, "connect", on_connect)
        database = db.engine.url.database
    if database and database != ":memory:":
        app.config.setdefault("SQLITE_WRITE_LOCK", database + ".write-lock")


def database_answers() -> bool:
    """Whether the database answers a trivial query now (the health check)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as exc:
        current_app.logger.warning("health check failed: %s", exc)
        db.session.rollback()
        return False
    return True
