"""What every request goes through, whichever blueprint serves it: the body check, the
visitor's language, one commit at the end, the helpers every template uses."""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Response, current_app, request, session
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from satisfaction.extensions import db
from satisfaction.web.numbers import format_decimal


def select_locale() -> str:
    lang = session.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def _is_utf8_urlencoded(body: bytes) -> bool:
    try:
        for pair in body.split(b"&"):
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_request_body() -> None:
    """Refuse query strings and form bodies that are not UTF-8 instead of guessing at them,
    and streamed (chunked) bodies that reach the size limit."""
    if not _is_utf8_urlencoded(request.query_string):
        raise BadRequest()
    if request.mimetype != "application/x-www-form-urlencoded" or request.content_length == 0:
        return
    # get_data caches the body; the form parser then reads from that cache.
    body = request.get_data(cache=True)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and limit is not None and len(body) >= limit:
        # Werkzeug cuts a body without Content-Length at the limit silently.
        raise RequestEntityTooLarge()
    if not _is_utf8_urlencoded(body):
        raise BadRequest()


#: C0 control characters and DEL, less tab, line feed and carriage return: never text a
#: person typed, and NUL is refused by PostgreSQL (a 500 where a 400 belongs).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_control_characters() -> None:
    """One guard for every route: control characters in the path or the query string are
    refused (400); in form fields they are removed, so a comment typed with a stray one is
    kept, not lost. Uploaded files are read by their importers, which name the line."""
    if _CONTROL.search(request.path) or any(
            _CONTROL.search(key) or _CONTROL.search(value)
            for key, value in request.args.items(multi=True)):
        raise BadRequest(_("The address contains control characters."))
    if request.method in ("GET", "HEAD") or not request.form:
        return
    if any(_CONTROL.search(key) or _CONTROL.search(value)
           for key, value in request.form.items(multi=True)):
        request.form = ImmutableMultiDict(
            [(_CONTROL.sub("", key), _CONTROL.sub("", value))
             for key, value in request.form.items(multi=True)])


def commit_session(response: Response) -> Response:
    """One commit point per request; views and services only flush. A request that never
    touched the database (a survey form whose code is remembered, /ping) has nothing to
    end."""
    if not db.session.registry.has() or not db.session().in_transaction():
        return response
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


#: Pages load scripts, styles, images and fonts from this site only, run no inline script
#: or style, and cannot be framed (the admin's revoke and release forms included).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def security_headers(response: Response) -> Response:
    """The same headers on every response; HSTS only where the cookies are HTTPS-only (the
    app is then served over TLS)."""
    headers = response.headers
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def template_helpers() -> dict:
    return {
        "current_locale": str(get_locale() or "vi"),
        "format_datetime": format_datetime,
        "format_decimal": format_decimal,
    }
