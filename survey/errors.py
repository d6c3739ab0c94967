"""The survey's own refusals, with a title and a message for the citizen (the app's error
pages show them as they are)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, NotFound


class ForgedInput(BadRequest):
    """A value no honest form can send: an answer off the scale, an unknown field value,
    a tampered hidden field."""

    title = _l("The answers could not be accepted")
    description = _l(
        "The form contained values that are not on the questionnaire. Nothing was saved. "
        "Please open the survey again from the QR code."
    )


class InvalidCode(NotFound):
    """An unknown, revoked or retired QR code."""

    title = _l("This QR code is not valid")
    description = _l(
        "This QR code is not valid or is no longer in use. Please scan the code displayed "
        "at the counter, or ask the staff for the current one."
    )
