"""What every request goes through, whichever blueprint serves it: the body check, the
visitor's language, one commit at the end, the helpers every template uses."""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from flask import Response, current_app, has_request_context, request, session
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


#: Control characters (Unicode's Cc: C0, DEL and C1), less tab, line feed and carriage
#: return: never text a person typed; NUL is refused by PostgreSQL (a 500 where a 400
#: belongs) and C1's U+009B is an 8-bit terminal escape.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


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


@lru_cache(maxsize=64)
def _static_digest(path: str, modified: float) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


def static_version(filename: str) -> str | None:
    """A digest of a static file's content (None if there is no such file)."""
    path = os.path.join(current_app.static_folder or "", filename)
    try:
        return _static_digest(path, os.path.getmtime(path))
    except OSError:
        return None


def versioned_static(endpoint: str, values: dict) -> None:
    """Every link to a static file names its content (``?v=<digest>``): a browser may keep
    it for a year, and a new version has a new address."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = static_version(values["filename"])
        if version:
            values["v"] = version


#: A year: the address changes with the content.
STATIC_MAX_AGE = 365 * 24 * 3600


def cache_static(response: Response) -> Response:
    """Long-lived caching for a static file asked for by its current digest; the others
    (an old or no digest) are revalidated."""
    if request.endpoint == "static" and response.status_code == 200:
        if response.mimetype in ("text/css", "text/javascript", "application/javascript",
                                 "image/svg+xml"):
            # Read into memory (a few kilobytes) so that the compression after this hook
            # takes it: it leaves streamed files alone.
            response.direct_passthrough = False
            response.make_sequence()
        version = request.args.get("v")
        filename = (request.view_args or {}).get("filename", "")
        if version and version == static_version(filename):
            response.cache_control.public = True
            response.cache_control.max_age = STATIC_MAX_AGE
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
    return response


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


#: The cookie that remembers "larger text" (no account, no session needed).
TEXT_SIZE_COOKIE = "text_size"


def large_text() -> bool:
    # E-mails are rendered outside any request (flask alerts check).
    return has_request_context() and request.cookies.get(TEXT_SIZE_COOKIE) == "large"


def template_helpers() -> dict:
    return {
        "large_text": large_text(),
        "current_locale": str(get_locale() or "vi"),
        "format_datetime": format_datetime,
        "format_decimal": format_decimal,
    }
