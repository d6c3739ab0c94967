"""Absolute links printed on QR codes, in emails and by the CLI."""

from __future__ import annotations

from flask import current_app, has_request_context, request

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def base_url() -> str:
    """``BASE_URL`` when configured; else the host of the current request; else the default."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured
    if has_request_context():
        return request.host_url.rstrip("/")
    return DEFAULT_BASE_URL


def absolute(path: str) -> str:
    return base_url() + path


def survey_path(token: str) -> str:
    return f"/s/{token}"


def survey_url(token: str) -> str:
    return absolute(survey_path(token))


def display_short_code(short_code: str) -> str:
    """``ABCDEFGH`` as printed: ``ABCD-EFGH`` (the dash helps people type; it is ignored)."""
    code = short_code.replace("-", "")
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def short_path(short_code: str) -> str:
    return f"/m/{display_short_code(short_code)}"


def short_url(short_code: str) -> str:
    """What a respondent types when the camera fails; it redirects to the survey."""
    return absolute(short_path(short_code))


def kiosk_path(token: str) -> str:
    return f"/k/{token}"


def kiosk_url(token: str) -> str:
    """The link a counter's tablet opens once and keeps (it starts a new form by itself)."""
    return absolute(kiosk_path(token))
