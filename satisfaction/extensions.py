"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from flask import Flask, current_app, request
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Stable constraint names on SQLite and PostgreSQL alike, so migrations can address them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()


def client_address() -> str:
    """The client's address (the proxy's ``X-Forwarded-For`` when ``PROXY_COUNT`` is set)."""
    return request.remote_addr or ""


def init_rate_counters(app: Flask) -> None:
    """The counters of the survey's rate limits (the integrity checks and the flood
    ceiling), one set per app: Redis when several app servers must share them, memory for
    a single server. Keys are keyed hashes, so no client address reaches Redis."""
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["rate_counters"] = MovingWindowRateLimiter(storage)


def rate_counters():
    return current_app.extensions["rate_counters"]
