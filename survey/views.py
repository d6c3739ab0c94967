"""Routes of the public survey: the QR code's form, the kiosk's form, short codes."""

from __future__ import annotations

from collections import OrderedDict

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from satisfaction import integrity, privacy
from satisfaction.catalogue import lookup
from satisfaction.db.codes import Channel
from satisfaction.db.units import DossierMode
from satisfaction.errors import ForgedInput, InvalidCode
from satisfaction.extensions import csrf, db

from . import bp, checks, services
from .forms import HONEYPOT_FIELD, LABELS, RESPONDENT_KINDS, Submission, read_submission

#: Placeholders for the two per-visitor values of an otherwise identical empty form.
_CSRF_SLOT, _SUBMISSION_SLOT = "\x00csrf\x00", "\x00submission\x00"
#: Empty forms rendered once per address, code, language and procedure-field list. Derived
#: from immutable data in the key, so no process can serve another's stale copy.
_blank_pages: OrderedDict[tuple, str] = OrderedDict()
_BLANK_PAGES_MAX = 512


def _locale() -> str:
    return str(get_locale() or "vi")


def _render(submission: Submission, definition, target, locale, fields, csrf_value) -> str:
    return render_template(
        "survey/questionnaire.html", submission=submission, definition=definition,
        target=target, locale=locale, procedure_fields=fields, kinds=RESPONDENT_KINDS,
        labels=LABELS, csrf_value=csrf_value, honeypot_field=HONEYPOT_FIELD,
        kiosk=target.channel == Channel.KIOSK.value,
        idle_seconds=current_app.config["KIOSK_IDLE_SECONDS"],
    )


def _blank_page(target, definition, locale, fields) -> str:
    key = (request.full_path, target, locale, fields)
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
    successor = services.successor_of(token)
    if successor is None:
        raise InvalidCode()
    endpoint = ".kiosk" if channel is Channel.KIOSK else ".questionnaire"
    return render_template(
        "survey/expired.html", new_url=url_for(endpoint, token=successor), locale=_locale(),
    ), 410


def _answer(token: str, channel: Channel):
    if request.method == "POST":
        checks.enforce_hard_limit(channel.value)
    target = services.find_target(token)
    if target is None or target.channel != channel.value:
        return _dead_code(token, channel)
    locale = _locale()
    definition = lookup.definition_of(target.version_id, target.version_checksum)
    fields = lookup.procedure_field_choices(locale)
    if request.method == "GET":
        page = _blank_page(target, definition, locale, fields)
        return (
            page.replace(_CSRF_SLOT, generate_csrf())
            .replace(_SUBMISSION_SLOT, services.issue_submission_id(target))
        )

    csrf.protect()
    submission = read_submission(
        definition, request.form, [code for code, _label in fields], target.dossier_mode
    )
    issued = services.read_submission_id(submission.submission_id, target)
    if issued is None:
        raise ForgedInput()
    submission_key, elapsed = issued
    dossier_hash = privacy.dossier_hash(submission.dossier) if submission.dossier else None
    dossier_verified = False
    if dossier_hash and not submission.errors:
        claimant = services.dossier_claimant(target.questionnaire_id, dossier_hash)
        if claimant == submission_key:
            # A retry of a response already stored (a flaky network): thank, store nothing.
            return redirect(url_for(_thanks_endpoint(channel), token=token), code=303)
        if claimant is not None:
            submission.errors["dossier"] = _dossier_used_message()
        else:
            dossier_verified = services.dossier_known(target.unit_id, dossier_hash)
            if not dossier_verified and target.dossier_mode == DossierMode.VERIFIED.value:
                submission.errors["dossier"] = _(
                    "This dossier code is not in the list of dossiers of this office. "
                    "Please check it against your receipt, or ask the staff."
                )
    if submission.errors:
        return _render(submission, definition, target, locale, fields, generate_csrf()), 422

    config = current_app.config
    flags = integrity.content_flags(
        honeypot=submission.honeypot,
        elapsed_seconds=elapsed,
        scored_answers=[submission.answers.get(item.code) for item in definition.scored_items()],
        min_seconds=config["SURVEY_MIN_SECONDS"],
        straight_line_seconds=config["SURVEY_STRAIGHT_LINE_SECONDS"],
    )
    client = checks.check_client(
        token_id=target.token_id, counter_id=target.counter_id,
        kiosk=channel is Channel.KIOSK,
    )
    try:
        services.store_response(
            target=target,
            submission_key=submission_key,
            answers=submission.answers,
            respondent_kind=submission.respondent_kind,
            procedure_field_code=submission.procedure_field,
            comment=submission.comment,
            locale=locale,
            channel=channel.value,
            integrity=services.Integrity(
                flags=tuple(str(flag) for flag in [*flags, *client.flags]),
                elapsed_seconds=elapsed,
                client_hash=client.client_hash,
                network_hash=client.network_hash,
            ),
            dossier_hash=dossier_hash,
            dossier_verified=dossier_verified,
        )
    except services.DossierAlreadyUsed:
        # Another copy of this code won a race on another app server: nothing is kept.
        db.session.rollback()
        submission.errors["dossier"] = _dossier_used_message()
        return _render(submission, definition, target, locale, fields, generate_csrf()), 422
    response = redirect(url_for(_thanks_endpoint(channel), token=token), code=303)
    checks.remember_device(response, client)
    return response


def _thanks_endpoint(channel: Channel) -> str:
    return ".kiosk_thanks" if channel is Channel.KIOSK else ".thanks"


def _dossier_used_message() -> str:
    return _(
        "This dossier code has already been used to answer this survey. Each dossier can be "
        "rated once."
    )


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
    token = services.token_for_short_code(code)
    if token is None:
        raise InvalidCode()
    return redirect(url_for(".questionnaire", token=token), code=302)


@bp.get("/s/<token>/thanks")
def thanks(token: str):
    target = services.find_target(token)
    return render_template("survey/thanks.html", target=target, locale=_locale(), token=token)


@bp.get("/k/<token>/thanks")
def kiosk_thanks(token: str):
    target = services.find_target(token)
    return render_template(
        "survey/thanks.html", target=target, locale=_locale(), token=token,
        kiosk_return=url_for(".kiosk", token=token) if target else None,
    )
