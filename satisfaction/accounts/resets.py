"""Password reset by e-mail: a signed link that works once (it names a fingerprint of the
password it replaces, which the reset changes) and for ``PASSWORD_RESET_SECONDS``."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from satisfaction.clock import utcnow
from satisfaction.db.accounts import User
from satisfaction.extensions import db


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(user: User) -> str:
    # Of the stored hash, so the link says nothing about the password itself.
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:20]


def reset_token(user: User, issued_at: datetime | None = None) -> str:
    """The signed token of a reset link for ``user``, issued now (or at ``issued_at``)."""
    issued = int((issued_at or utcnow()).timestamp())
    return _serializer().dumps({"u": user.id, "p": _fingerprint(user), "t": issued})


def user_for_reset(token: str) -> User | None:
    """The account a reset link was sent for, while the link is valid: signed by us, not
    older than ``PASSWORD_RESET_SECONDS``, not used (the password is still the one it was
    issued for), and the account still active."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int | str)
                                             for k in ("u", "p", "t")):
        return None
    try:
        user_id, issued = int(data["u"]), int(data["t"])
    except ValueError:
        return None
    age = utcnow().timestamp() - issued
    if not 0 <= age <= current_app.config["PASSWORD_RESET_SECONDS"]:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or _fingerprint(user) != data["p"]:
        return None
    return user
