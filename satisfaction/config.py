"""Configuration from the environment.

``APP_ENV`` selects the profile: ``production`` (the default, strict), ``development`` or
``testing``. Outside development the app refuses to start without a real ``SECRET_KEY``.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

#: The checkout: migrations, translations and babel.cfg live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Keys that are obviously placeholders; a deployment using one of them is refused.
PLACEHOLDER_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development", "test"}
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """Raised when the environment does not describe a runnable deployment."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    # Heroku-style URLs and bare "postgresql://" should use the psycopg 3 driver we ship.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _instance_text(instance_path: str, name: str) -> str:
    path = Path(instance_path) / name
    return path.read_text(encoding="utf-8").strip() if path.is_file() else ""


def lan_address() -> str | None:
    """This machine's own address on its network (not loopback), as phones on the same
    network reach it; None when it has none. Connecting a UDP socket sends nothing: it only
    asks the kernel which interface would carry the traffic."""
    for probe in ("10.255.255.255", "192.168.255.255", "172.31.255.255"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                address = s.getsockname()[0]
        except OSError:
            continue
        if address and not address.startswith("127.") and address != "0.0.0.0":
            return address
    return None


def served_base_url(host: str, port: int) -> str:
    """The public address of ``make run``: the LAN address when serving on every interface
    (0.0.0.0), so that printed links and posters work on a phone; else the host itself."""
    if host in ("0.0.0.0", "::", ""):
        host = lan_address() or "127.0.0.1"
    return f"http://{host}:{port}"


def _from_environment(env: str, instance_path: str) -> dict:
    """Every setting from the environment, with the defaults of the table in README.md."""
    default_db = "sqlite:///" + str(Path(instance_path) / "satisfaction.db")
    secret = os.environ.get("SECRET_KEY", "")
    key_file = Path(instance_path) / "secret_key"
    if not secret and key_file.is_file():
        # Written by `make run` on its first start: the CLI then works in that checkout too.
        secret = key_file.read_text(encoding="utf-8").strip()
    return {
        "APP_ENV": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        # Unset: the address `make run` serves on, which it writes to instance/base_url, so
        # that the CLI prints and encodes the same links as the running demo.
        "BASE_URL": (os.environ.get("BASE_URL") or _instance_text(instance_path, "base_url")
                     ).rstrip("/"),
        # A survey body is a few kilobytes; anything far larger is not a survey.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 64 * 1024)),
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        "MAX_FORM_PARTS": 200,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ("vi", "en"),
        # Elderly respondents may take their time; the survey form stays valid for a day.
        "WTF_CSRF_TIME_LIMIT": 24 * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), False),
        # An official's session ends this long after sign-in, or after this long unused.
        "SESSION_LIFETIME_HOURS": float(os.environ.get("SESSION_LIFETIME_HOURS", "12")),
        "SESSION_IDLE_MINUTES": float(os.environ.get("SESSION_IDLE_MINUTES", "30")),
        # Flask-Login: "strong" ends a session used from another address or browser.
        "SESSION_PROTECTION": os.environ.get("SESSION_PROTECTION", "strong") or None,
        # A password-reset link works once, for this many seconds.
        "PASSWORD_RESET_SECONDS": int(os.environ.get("PASSWORD_RESET_SECONDS", "3600")),
        # An API token's lifetime unless another is asked for when it is issued.
        "API_TOKEN_DAYS": int(os.environ.get("API_TOKEN_DAYS", "90")),
        # Pre-ping: a connection broken by a database restart is replaced before use, not
        # found broken by a request (a 503). It costs one "SELECT 1" per checkout (about
        # 0.1 ms on a local PostgreSQL); DB_POOL_PRE_PING=0 turns it off.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_recycle": 1800,
            "pool_pre_ping": _bool(os.environ.get("DB_POOL_PRE_PING"), True),
        },
        "COMMENT_MAX_LENGTH": 2000,
        # Pages, styles, scripts and JSON compressed (Flask-Compress): the survey on a slow
        # network. Streamed downloads (one row per response) are left as they are.
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "application/javascript",
                               "text/javascript", "application/json", "image/svg+xml"],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIN_SIZE": 500,
        "COMPRESS_STREAMS": False,
        # E-mail for alerts, with the names Flask-Mail users know.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25") or 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool(os.environ.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(os.environ.get("MAIL_USE_SSL")),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "khaosat@localhost"),
        "ALERT_WEBHOOK_URL": os.environ.get("ALERT_WEBHOOK_URL", ""),
        # Who the alert e-mails name as contact; empty: the owner office's address.
        "ALERT_CONTACT": os.environ.get("ALERT_CONTACT", ""),
        # Keyed hashes of client addresses and dossier codes (see satisfaction.privacy).
        "HASH_KEY": os.environ.get("HASH_KEY", ""),
        # Rate limits and other counters every app server must share: Redis when set.
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # Behind nginx or a load balancer: how many proxies set X-Forwarded-For.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0") or 0),
        # Integrity checks on survey answers (see satisfaction.intake.integrity).
        "SURVEY_MIN_SECONDS": int(os.environ.get("SURVEY_MIN_SECONDS", "15")),
        "SURVEY_CLIENT_LIMIT": os.environ.get("SURVEY_CLIENT_LIMIT", "3 per 10 minutes"),
        "SURVEY_CODE_LIMIT": os.environ.get("SURVEY_CODE_LIMIT", "60 per 10 minutes"),
        "SURVEY_HARD_LIMIT": os.environ.get("SURVEY_HARD_LIMIT", "120 per minute"),
        "SURVEY_BURST_MINUTES": int(os.environ.get("SURVEY_BURST_MINUTES", "10")),
        "SURVEY_BURST_CLIENT": int(os.environ.get("SURVEY_BURST_CLIENT", "3")),
        "SURVEY_BURST_NETWORK": int(os.environ.get("SURVEY_BURST_NETWORK", "20")),
        "SURVEY_STRAIGHT_LINE_SECONDS": int(os.environ.get("SURVEY_STRAIGHT_LINE_SECONDS", "60")),
        "SURVEY_DEVICE_REPEAT_HOURS": int(os.environ.get("SURVEY_DEVICE_REPEAT_HOURS", "24")),
        "CLIENT_HASH_RETENTION_DAYS": int(os.environ.get("CLIENT_HASH_RETENTION_DAYS", "30")),
        # Comments can hold personal data: erased after two years (the answers stay).
        "COMMENT_RETENTION_DAYS": int(os.environ.get("COMMENT_RETENTION_DAYS", "730")),
        # How long an app server trusts what a QR code resolved to (satisfaction.qrcodes.resolve).
        "SURVEY_CODE_CACHE_SECONDS": float(os.environ.get("SURVEY_CODE_CACHE_SECONDS", "5")),
        # A kiosk goes back to an empty form after this many idle seconds.
        "KIOSK_IDLE_SECONDS": int(os.environ.get("KIOSK_IDLE_SECONDS", "90")),
    }


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the configuration mapping for one app instance.

    ``overrides`` (used by tests and tools) wins over the environment.
    """
    overrides = dict(overrides or {})
    env = overrides.pop("APP_ENV", None) or os.environ.get("APP_ENV", "production")
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"APP_ENV must be production, development or testing, not {env!r}")

    config = _from_environment(env, instance_path)
    if env == "development":
        config["SECRET_KEY"] = config["SECRET_KEY"] or "development-only-key-not-for-production"
    if env == "testing":
        config["TESTING"] = True
        config["SECRET_KEY"] = config["SECRET_KEY"] or "testing-only-key-" + "x" * 32
    config.update(overrides)
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])

    if env != "development":
        key = config["SECRET_KEY"]
        if key.strip().lower() in PLACEHOLDER_SECRETS or len(key) < MIN_SECRET_LENGTH:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters outside development "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
    return config


if __name__ == "__main__":  # `make run`: python -m satisfaction.config HOST PORT
    print(served_base_url(sys.argv[1], int(sys.argv[2])))
