"""QR code pages: every visible unit's counters and codes, posters to print, and (for the
administrator) issuing, relabelling, rotating and revoking codes and setting a counter's
dossier mode.

Who may do what: anyone signed in prints the posters of the units they see (a clerk prints
all ten wards at once); only the administrator changes codes and counters, as the roles
table of the README says ("units and QR codes"): a code is printed and hung on a wall, and
rotating or revoking it takes every poster of it out of service.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound

from satisfaction.accounts.access import Permission, require_unit
from satisfaction.catalogue import lookup
from satisfaction.clock import utcnow
from satisfaction.db.codes import QrToken
from satisfaction.db.units import Counter, Unit
from satisfaction.qrcodes import overview, posters
from satisfaction.qrcodes.codes import (
    QrCodeError,
    code_by_id,
    code_state,
    counter_of,
    issue_code,
    printable_codes,
    relabel_code,
    revoke_code,
    rotate_code,
    set_dossier_mode,
)
from satisfaction.qrcodes.links import display_short_code, kiosk_url, short_url, survey_url

from .. import bp
from ..forms import (
    CHANNEL_LABELS,
    DOSSIER_MODE_LABELS,
    DossierModeForm,
    IssueForm,
    LabelForm,
    RevokeForm,
    RotateForm,
    options,
)

STATE_LABELS = {
    "current": _l("In use"),
    "grace": _l("Replaced; still works until the date shown"),
    "expired": _l("Expired"),
    "revoked": _l("Revoked"),
}
ERROR_MESSAGES = {
    "bad_channel": _l("Choose a printed QR code or a kiosk."),
    "bad_grace": _l("The grace period cannot be negative."),
    "revoked": _l("This code was revoked. Issue a new code instead."),
    "replaced": _l("This code was already replaced. Rotate the new code instead."),
    "label_too_long": _l("A label has at most 200 characters."),
    "bad_dossier_mode": _l("Unknown dossier mode."),
}
NOT_PRINTABLE = {
    "kiosk": _l("Kiosk codes have no poster: open the kiosk link on the counter's tablet."),
    "revoked": _l("This code was revoked and has no poster. Print the counter's current code."),
    "replaced": _l("This code was replaced. Print the poster of the new code."),
}


def _code_or_404(code_id: int) -> QrToken:
    """A code of a unit the user sees; any other is 404, as for units."""
    token = code_by_id(code_id)
    if token is None or not g.scope.sees_unit(token.counter.unit_id):
        abort(404, description=_("This QR code does not exist, or you may not see it."))
    return token


def _counter_or_404(unit: Unit, counter_code: str) -> Counter:
    counter = counter_of(unit, counter_code)
    if counter is None:
        abort(404, description=_("This counter does not exist."))
    return counter


def _unit_or_404(unit_code: str) -> Unit:
    try:
        return require_unit(g.scope, unit_code)
    except NotFound:
        # The same answer whether the unit is unknown or outside the user's scope.
        abort(404, description=_("This unit does not exist, or you may not see it."))


def _choices():
    questionnaires = lookup.questionnaire_choices(g.locale)
    fields = [("", _("None: the respondent chooses"))] + [
        (f.code, f.name(g.locale))
        for f in lookup.active_procedure_fields()
    ]
    return questionnaires, fields


def _issue_form(counter: Counter, formdata=True) -> IssueForm:
    kwargs = {} if formdata else {"formdata": None}
    form = IssueForm(prefix=f"issue{counter.id}", **kwargs)
    questionnaires, fields = _choices()
    form.questionnaire.choices = options(questionnaires)
    form.procedure_field.choices = options(fields)
    return form


def _poster_args() -> tuple[str, str]:
    fmt = request.args.get("format", "pdf")
    size = request.args.get("size", "A4")
    if fmt not in posters.FORMATS or size not in posters.PAGE_SIZES:
        abort(400, description=_(
            "Choose a format (pdf, png or svg) and a page size (A4 or A5)."
        ))
    return fmt, size


def _listed_codes(counter: Counter, now) -> list[QrToken]:
    """The codes worth showing: those that still work (current, or in their grace)."""
    return [t for t in counter.qr_tokens if code_state(t, now) in ("current", "grace")]


def _page_context(now):
    return {
        "now": now,
        "code_state": code_state,
        "listed_codes": _listed_codes,
        "state_labels": STATE_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "dossier_labels": DOSSIER_MODE_LABELS,
        "survey_url": survey_url,
        "short_url": short_url,
        "kiosk_url": kiosk_url,
        "display_short_code": display_short_code,
        "formats": posters.FORMATS,
        "sizes": list(posters.PAGE_SIZES),
        "may_manage": g.scope.may(Permission.MANAGE_CODES),
    }


@bp.get("/qr/")
def qrcodes():
    """Every unit the user sees, its counters and their working codes, with posters."""
    now = utcnow()
    units = overview.units_with_codes(g.scope)
    return render_template("admin/qrcodes.html", units=units, **_page_context(now))


def _unit_page(unit: Unit, status: int = 200, forms: dict | None = None):
    now = utcnow()
    forms = forms or {}
    counters = []
    for counter in unit.counters:
        codes = _listed_codes(counter, now)
        counters.append({
            "counter": counter,
            "codes": codes,
            "issue": forms.get(("issue", counter.id)) or _issue_form(counter, formdata=False),
            "dossier": forms.get(("dossier", counter.id)) or DossierModeForm(
                formdata=None, prefix=f"dossier{counter.id}", mode=counter.dossier_mode),
            "labels": {t.id: forms.get(("label", t.id)) or LabelForm(
                formdata=None, prefix=f"label{t.id}", label=t.label or "") for t in codes},
            "rotates": {t.id: forms.get(("rotate", t.id)) or RotateForm(
                formdata=None, prefix=f"rotate{t.id}") for t in codes},
        })
    return render_template(
        "admin/qrcodes_unit.html", unit=unit, counters=counters, **_page_context(now)
    ), status


def _invalid(unit: Unit, key: tuple, form: FlaskForm):
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return _unit_page(unit, 422, {key: form})


def _refused(unit: Unit, exc: QrCodeError):
    flash(str(ERROR_MESSAGES.get(exc.reason, exc)), "error")
    return _unit_page(unit, 409)


def _back(unit: Unit):
    return redirect(url_for("admin.qrcodes_unit", unit_code=unit.code), code=303)


@bp.get("/qr/<unit_code>/")
def qrcodes_unit(unit_code: str):
    unit = _unit_or_404(unit_code)
    return _unit_page(unit)


@bp.post("/qr/<unit_code>/<counter_code>/codes")
def issue(unit_code: str, counter_code: str):
    unit = _unit_or_404(unit_code)
    g.scope.require(Permission.MANAGE_CODES)
    counter = _counter_or_404(unit, counter_code)
    form = _issue_form(counter)
    if not form.validate_on_submit():
        return _invalid(unit, ("issue", counter.id), form)
    questionnaire = lookup.questionnaire(form.questionnaire.data)
    field = lookup.procedure_field(form.procedure_field.data) if form.procedure_field.data else None
    try:
        token = issue_code(counter, questionnaire, channel=form.channel.data,
                           procedure_field=field, label=form.label.data, user_id=g.user.id)
    except QrCodeError as exc:
        return _refused(unit, exc)
    flash(_("New code issued: %(code)s.", code=display_short_code(token.short_code)
            if token.short_code else kiosk_url(token.token)))
    return _back(unit)


@bp.post("/qr/<unit_code>/<counter_code>/dossier-mode")
def dossier_mode(unit_code: str, counter_code: str):
    unit = _unit_or_404(unit_code)
    g.scope.require(Permission.MANAGE_CODES)
    counter = _counter_or_404(unit, counter_code)
    form = DossierModeForm(prefix=f"dossier{counter.id}")
    if not form.validate_on_submit():
        return _invalid(unit, ("dossier", counter.id), form)
    try:
        set_dossier_mode(counter, form.mode.data, g.user.id)
    except QrCodeError as exc:
        return _refused(unit, exc)
    flash(_("Dossier mode of %(counter)s: %(mode)s.", counter=counter.name(g.locale),
            mode=DOSSIER_MODE_LABELS[form.mode.data]))
    return _back(unit)


@bp.post("/qr/codes/<int:code_id>/label")
def relabel(code_id: int):
    token = _code_or_404(code_id)
    g.scope.require(Permission.MANAGE_CODES)
    unit = token.counter.unit
    form = LabelForm(prefix=f"label{token.id}")
    if not form.validate_on_submit():
        return _invalid(unit, ("label", token.id), form)
    try:
        relabel_code(token, form.label.data, g.user.id)
    except QrCodeError as exc:
        return _refused(unit, exc)
    flash(_("Label saved."))
    return _back(unit)


@bp.post("/qr/codes/<int:code_id>/rotate")
def rotate(code_id: int):
    token = _code_or_404(code_id)
    g.scope.require(Permission.MANAGE_CODES)
    unit = token.counter.unit
    form = RotateForm(prefix=f"rotate{token.id}")
    if not form.validate_on_submit():
        return _invalid(unit, ("rotate", token.id), form)
    try:
        successor = rotate_code(token, timedelta(days=form.grace_days.data), g.user.id)
    except QrCodeError as exc:
        return _refused(unit, exc)
    if form.grace_days.data:
        flash(_("Code replaced. The old code works until %(day)s; print and hang the new "
                "poster before then.", day=format_datetime(token.expires_at, "medium")))
    else:
        flash(_("Code replaced. The old code stopped working now; print and hang the new "
                "poster."))
    return redirect(url_for("admin.qrcodes_unit", unit_code=unit.code,
                            _anchor=f"code-{successor.id}"), code=303)


@bp.route("/qr/codes/<int:code_id>/revoke", methods=["GET", "POST"])
def revoke(code_id: int):
    """Asks first: revoking takes every printed poster of the code out of service."""
    token = _code_or_404(code_id)
    g.scope.require(Permission.MANAGE_CODES)
    unit = token.counter.unit
    form = RevokeForm()
    status = 200
    if form.validate_on_submit():
        try:
            revoke_code(token, g.user.id)
        except QrCodeError as exc:
            return _refused(unit, exc)
        flash(_("The code was revoked: it no longer accepts answers."))
        return _back(unit)
    if request.method == "POST":
        status = 422
    return render_template(
        "admin/qrcodes_revoke.html", token=token, unit=unit, form=form,
        **_page_context(utcnow()),
    ), status


@bp.get("/qr/codes/<int:code_id>/poster")
def poster(code_id: int):
    """One poster: ``?format=pdf|png|svg&size=A4|A5``."""
    token = _code_or_404(code_id)
    fmt, size = _poster_args()
    try:
        data = posters.render_poster(token, fmt, size)
    except posters.NotPrintable as exc:
        abort(404, description=str(NOT_PRINTABLE[exc.reason]))
    return _download(data, posters.MEDIA_TYPES[fmt], posters.poster_filename(token, fmt, size))


@bp.get("/qr/<unit_code>/posters.zip")
def unit_posters(unit_code: str):
    """Posters of all the current printed codes of one unit, as a ZIP."""
    unit = _unit_or_404(unit_code)
    fmt, size = _poster_args()
    return _zip(printable_codes([unit.id]), fmt, size, f"posters_{unit.code}_{size}_{fmt}.zip")


@bp.get("/qr/posters.zip")
def all_posters():
    """Posters of every unit the user sees (the whole district for district staff)."""
    fmt, size = _poster_args()
    return _zip(printable_codes(g.scope.unit_ids), fmt, size, f"posters_{size}_{fmt}.zip")


def _zip(codes: list[QrToken], fmt: str, size: str, filename: str):
    if not codes:
        abort(404, description=_("There is no printed QR code to make a poster of here."))
    return _download(posters.posters_zip(codes, [fmt], [size]), "application/zip", filename)


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Posters carry live survey links: no shared cache keeps them.
    response.headers["Cache-Control"] = "private, no-store"
    return response
