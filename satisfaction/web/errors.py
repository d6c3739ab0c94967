"""Error pages: every failure gets a clear message in the visitor's language and a status,
never a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

TITLES = {
    400: _l("The request could not be processed"),
    401: _l("Please sign in"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    413: _l("The submission is too large"),
    422: _l("Please check your answers"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("The service is temporarily unavailable"),
}

MESSAGES = {
    400: _l("The request was not understood. Nothing was saved."),
    403: _l("Your account does not have permission to see this page."),
    404: _l("The address you opened does not exist. Please check it and try again."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The data sent is larger than any survey needs. Nothing was saved."),
    429: _l("Too many requests in a short time. Please wait a moment and try again."),
    500: _l("An unexpected error occurred. Nothing was saved. Please try again later."),
    503: _l("The service cannot reach its database right now. Please try again in a few minutes."),
}

CSRF_MESSAGE = _l(
    "This form has expired or was not sent from our page. Nothing was saved. "
    "Please go back, reload the page and submit again."
)

def render_error(code: int, message: str | None = None, title: str | None = None):
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify(
            error=str(title or TITLES.get(code, code)),
            message=str(message or MESSAGES.get(code, "")),
        ), code
    return (
        render_template(
            "error.html",
            code=code,
            title=title or TITLES.get(code, TITLES[500]),
            message=message or MESSAGES.get(code, MESSAGES[500]),
        ),
        code,
    )


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        # Werkzeug's own descriptions are English; ours (an exception with its own title,
        # such as the survey's) and any given to abort() are kept.
        own = hasattr(error, "title") or error.description != type(error).description
        message = error.description if own else None
        if error.code == 413 and (request.max_content_length or 0) > (
                app.config.get("MAX_CONTENT_LENGTH") or 0):
            # An upload page with its own, larger limit: say what the limit is.
            message = _l("The file is larger than the %(size)s MB this page accepts. Nothing "
                         "was saved: split it into smaller files and send each one.",
                         size=request.max_content_length // (1024 * 1024))
        body, code = render_error(error.code, message, getattr(error, "title", None))
        # Keep what the exception says in its headers (Retry-After on 429 and 503, Allow
        # on 405), but not its content type: the page is ours.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        return body, code, headers

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        app.logger.error("database unavailable: %s", error)
        return render_error(503)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error")
        return render_error(500)
