"""Routes of the public survey: the QR code's form, the kiosk's form, short codes."""

from __future__ import annotations

from collections import OrderedDict

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from satisfaction.catalogue import lookup
from satisfaction.db.codes import Channel
from satisfaction.extensions import csrf
from satisfaction.indices.questionnaires import estimated_minutes
from satisfaction.intake.client_checks import Client, enforce_hard_limit
from satisfaction.intake.submission_ids import issue_submission_id
from satisfaction.intake.submit import DOSSIER_NOT_LISTED, DOSSIER_USED, Result, submit
from satisfaction.qrcodes import resolve
from satisfaction.web.hooks import large_text

from . import bp
from .errors import ForgedInput, InvalidCode
from .forms import (
    HONEYPOT_FIELD,
    LABELS,
    RESPONDENT_KINDS,
    Submission,
    read_submission,
    step_of_field,
    steps_of,
)

#: The signed cookie by which the same phone answering the same counter again is noticed.
DEVICE_COOKIE = "sv_device"
#: Placeholders for the two per-visitor values of an otherwise identical empty form.
_CSRF_SLOT, _SUBMISSION_SLOT = "\x00csrf\x00", "\x00submission\x00"
#: Empty forms rendered once per address, code, language and procedure-field list. Derived
#: from immutable data in the key, so no process can serve another's stale copy.
_blank_pages: OrderedDict[tuple, str] = OrderedDict()
_BLANK_PAGES_MAX = 512


def _locale() -> str:
    return str(get_locale() or "vi")


def _render(submission: Submission, definition, target, locale, fields, csrf_value,
            step: int | None = 1) -> str:
    """The form at ``step`` (None: every step at once, after a send with errors in several
    steps)."""
    return render_template(
        "survey/questionnaire.html", submission=submission, definition=definition,
        steps=steps_of(definition), step=step,
        minutes=estimated_minutes(definition, locale),
        target=target, locale=locale, procedure_fields=fields, kinds=RESPONDENT_KINDS,
        labels=LABELS, csrf_value=csrf_value, honeypot_field=HONEYPOT_FIELD,
        kiosk=target.channel == Channel.KIOSK.value,
        idle_seconds=current_app.config["KIOSK_IDLE_SECONDS"],
    )


def _blank_page(target, definition, locale, fields) -> str:
    key = (request.full_path, target, locale, fields, large_text())
    page = _blank_pages.get(key)
    if page is None:
        blank = Submission(values={
            "submission": _SUBMISSION_SLOT,
            "procedure_field": target.procedure_field_code or "",
        })
        page = _render(blank, definition, target, locale, fields, _CSRF_SLOT)
        _blank_pages[key] = page
        if len(_blank_pages) > _BLANK_PAGES_MAX:
            _blank_pages.popitem(last=False)
    return page


def _dead_code(token: str, channel: Channel):
    """A rotated code past its grace period points to its successor; anything else is not
    a valid code."""
    successor = resolve.successor_of(token)
    if successor is None:
        raise InvalidCode()
    endpoint = ".kiosk" if channel is Channel.KIOSK else ".questionnaire"
    return render_template(
        "survey/expired.html", new_url=url_for(endpoint, token=successor), locale=_locale(),
    ), 410


def _answer(token: str, channel: Channel):
    client = None
    going = request.form.get("go", "send") if request.method == "POST" else None
    if going == "send":
        client = Client.at(request.remote_addr, request.cookies.get(DEVICE_COOKIE))
        enforce_hard_limit(channel.value, client)
    target = resolve.find_target(token)
    if target is None or target.channel != channel.value:
        return _dead_code(token, channel)
    locale = _locale()
    definition = lookup.definition_of(target.version_id, target.version_checksum)
    fields = lookup.procedure_field_choices(locale)
    if request.method in ("GET", "HEAD"):
        page = _blank_page(target, definition, locale, fields)
        return (
            page.replace(_CSRF_SLOT, generate_csrf())
            .replace(_SUBMISSION_SLOT, issue_submission_id(target))
        )

    csrf.protect()
    submission = read_submission(
        definition, request.form, [code for code, _label in fields], target.dossier_mode
    )
    if going in ("next", "back"):
        return _turn_page(submission, definition, target, locale, fields, going)
    outcome = submit(target, definition, submission.sent(locale), client, channel.value)
    if outcome.result is Result.FORGED:
        raise ForgedInput()
    if outcome.result is Result.INVALID:
        submission.errors.update(
            (name, _dossier_message(error) if name == "dossier" else error)
            for name, error in outcome.errors.items()
        )
        steps = steps_of(definition)
        wrong = {step_of_field(steps, name) for name in submission.errors}
        step = wrong.pop() if len(wrong) == 1 else None
        return _render(submission, definition, target, locale, fields, generate_csrf(),
                       step), 422
    response = redirect(url_for(_thanks_endpoint(channel), token=token), code=303)
    if outcome.device_cookie is not None:
        response.set_cookie(
            DEVICE_COOKIE, outcome.device_cookie,
            max_age=current_app.config["SURVEY_DEVICE_REPEAT_HOURS"] * 3600,
            httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def _turn_page(submission: Submission, definition, target, locale, fields, going: str):
    """Next (once this step's required answers are there) or back; nothing is stored and
    nothing is kept on the server: every answer so far travels in the form."""
    steps = steps_of(definition)
    step = request.form.get("step", type=int) or 1
    step = min(max(step, 1), len(steps))
    if going == "back":
        submission.errors.clear()
        return _render(submission, definition, target, locale, fields, generate_csrf(),
                       max(step - 1, 1))
    here = steps[step - 1].fields
    submission.errors = {name: error for name, error in submission.errors.items()
                         if name in here}
    if submission.errors:
        return _render(submission, definition, target, locale, fields, generate_csrf(),
                       step), 422
    return _render(submission, definition, target, locale, fields, generate_csrf(),
                   min(step + 1, len(steps)))


def _thanks_endpoint(channel: Channel) -> str:
    return ".kiosk_thanks" if channel is Channel.KIOSK else ".thanks"


def _dossier_message(key: str) -> str:
    if key == DOSSIER_USED:
        return _(
            "This dossier code has already been used to answer this survey. Each dossier "
            "can be rated once."
        )
    if key == DOSSIER_NOT_LISTED:
        return _(
            "This dossier code is not in the list of dossiers of this office. "
            "Please check it against your receipt, or ask the staff."
        )
    return key  # a message the form reader already worded


@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt  # checked in _answer, once the code is known to be valid: a dead code is a 404 first
def questionnaire(token: str):
    return _answer(token, Channel.QR)


@bp.route("/k/<token>", methods=["GET", "POST"])
@csrf.exempt
def kiosk(token: str):
    """The tablet fixed at the counter: one device for every citizen in turn."""
    return _answer(token, Channel.KIOSK)


@bp.get("/m/<path:code>")
def short_code(code: str):
    """The short code printed under the QR code, typed by hand when the camera fails."""
    token = resolve.token_for_short_code(code)
    if token is None:
        raise InvalidCode()
    return redirect(url_for(".questionnaire", token=token), code=302)


@bp.get("/s/<token>/thanks")
def thanks(token: str):
    target = resolve.find_target(token)
    return render_template("survey/thanks.html", target=target, locale=_locale(), token=token)


@bp.get("/k/<token>/thanks")
def kiosk_thanks(token: str):
    target = resolve.find_target(token)
    return render_template(
        "survey/thanks.html", target=target, locale=_locale(), token=token,
        kiosk_return=url_for(".kiosk", token=token) if target else None,
    )
