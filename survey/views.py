"""Routes of the public survey."""

from __future__ import annotations

from collections import OrderedDict

from flask import redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from satisfaction.errors import ForgedInput, InvalidCode
from satisfaction.extensions import csrf
from satisfaction.models import Channel

from . import bp, services
from .forms import LABELS, RESPONDENT_KINDS, Submission, read_submission

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
        labels=LABELS, csrf_value=csrf_value,
    )


def _blank_page(target, definition, locale, fields) -> str:
    key = (request.full_path, target, locale, fields)
    page = _blank_pages.get(key)
    if page is None:
        blank = Submission(values={"submission": _SUBMISSION_SLOT})
        page = _render(blank, definition, target, locale, fields, _CSRF_SLOT)
        _blank_pages[key] = page
        if len(_blank_pages) > _BLANK_PAGES_MAX:
            _blank_pages.popitem(last=False)
    return page


@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt  # checked below, once the code is known to be valid: a dead code is a 404 first
def questionnaire(token: str):
    target = services.find_target(token)
    if target is None:
        raise InvalidCode()
    locale = _locale()
    definition = services.definition_for(target.version_id, target.version_checksum)
    fields = services.procedure_field_choices(locale)
    if request.method == "GET":
        page = _blank_page(target, definition, locale, fields)
        return (
            page.replace(_CSRF_SLOT, generate_csrf())
            .replace(_SUBMISSION_SLOT, services.issue_submission_id(target))
        )

    csrf.protect()
    submission = read_submission(definition, request.form, [code for code, _ in fields])
    submission_key = services.read_submission_id(submission.submission_id, target)
    if submission_key is None:
        raise ForgedInput()
    if submission.errors:
        return _render(submission, definition, target, locale, fields, generate_csrf()), 422
    services.store_response(
        target=target,
        submission_key=submission_key,
        answers=submission.answers,
        respondent_kind=submission.respondent_kind,
        procedure_field_code=submission.procedure_field,
        comment=submission.comment,
        locale=locale,
        channel=Channel.QR.value,
    )
    return redirect(url_for(".thanks", token=token), code=303)


@bp.get("/s/<token>/thanks")
def thanks(token: str):
    target = services.find_target(token)
    return render_template("survey/thanks.html", target=target, locale=_locale(), token=token)
