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
