"""The signed id each form carries: it ties an answer to the QR code the form was served
for, tells how long the respondent took, and makes a retried POST recognisable (its random
part is the response's unique submission key)."""

from __future__ import annotations

import time
import uuid

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from satisfaction.qrcodes.resolve import SurveyTarget

_SUBMISSION_SALT = "survey-submission"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SUBMISSION_SALT)


def issue_submission_id(target: SurveyTarget) -> str:
    """A fresh signed form id, bound to the QR code it was issued for."""
    return _serializer().dumps([target.token_id, uuid.uuid4().hex])


def read_submission_id(signed: str | None, target: SurveyTarget) -> tuple[str, float] | None:
    """The form's random id and the seconds since the form was served, if ``signed`` is
    genuine, recent and issued for this code."""
    if not signed or len(signed) > 200:
        return None
    try:
        (token_id, key), issued = _serializer().loads(
            signed, max_age=current_app.config["WTF_CSRF_TIME_LIMIT"], return_timestamp=True
        )
    except (BadSignature, ValueError, TypeError):
        return None
    if token_id != target.token_id or not isinstance(key, str) or len(key) != 32:
        return None
    return key, max(0.0, time.time() - issued.timestamp())
