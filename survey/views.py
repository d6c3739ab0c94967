"""Routes of the public survey."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import get_locale

from satisfaction.errors import ForgedInput, InvalidCode
from satisfaction.extensions import csrf
from satisfaction.models import Channel

from . import bp, services
from .forms import make_survey_form


def _locale() -> str:
    return str(get_locale() or "vi")


@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt  # checked below, once the code is known to be valid: a dead code is a 404 first
def questionnaire(token: str):
    target = services.find_target(token)
    if target is None:
        raise InvalidCode()
    if request.method == "POST":
        csrf.protect()
    locale = _locale()
    definition = services.definition_for(target.version_id, target.version_checksum)
    form = make_survey_form(definition, locale, services.procedure_field_choices(locale))
    status = 200
    if request.method == "POST":
        submission_key = services.read_submission_id(form.submission.data, target)
        if submission_key is None:
            raise ForgedInput()
        if form.validate():
            services.store_response(
                target=target,
                submission_key=submission_key,
                answers=form.answers(definition),
                respondent_kind=form.respondent_kind.data,
                procedure_field_code=form.procedure_field.data,
                comment=(form.comment.data or "").strip(),
                locale=locale,
                channel=Channel.QR.value,
            )
            return redirect(url_for(".thanks", token=token), code=303)
        status = 422
    else:
        form.submission.data = services.issue_submission_id(target)
    return (
        render_template(
            "survey/questionnaire.html",
            form=form,
            definition=definition,
            target=target,
            locale=locale,
        ),
        status,
    )


@bp.get("/s/<token>/thanks")
def thanks(token: str):
    target = services.find_target(token)
    return render_template("survey/thanks.html", target=target, locale=_locale(), token=token)
