"""Routes of the offices' module. One check guards the whole blueprint."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from satisfaction.accounts import auth
from satisfaction.accounts.access import Permission, scope_for
from satisfaction.alerts.inbox import unread_count
from satisfaction.catalogue.lookup import questionnaire_choices
from satisfaction.intake.imports import ImportRefused
from satisfaction.intake.paper import import_paper_forms
from satisfaction.qrcodes import overview
from satisfaction.qrcodes.images import qr_svg
from satisfaction.qrcodes.links import survey_url

from . import bp
from .forms import EmptyForm, ImportForm, LoginForm

IMPORT_MESSAGES = {
    "not_utf8": _l("The file is not UTF-8 text. In Excel choose “CSV UTF-8” when saving."),
    "empty": _l("The file is empty."),
    "bad_csv": _l("The file is not valid CSV."),
    "missing_columns": _l("Columns are missing"),
    "unknown_columns": _l("Unknown columns"),
    "duplicate_columns": _l("Columns appear twice"),
    "too_many_rows": _l("Too many rows in one file; split it."),
    "unknown_questionnaire": _l("Unknown questionnaire"),
    "wrong_cell_count": _l("The row does not have as many cells as the header"),
    "unknown_unit": _l("Unknown unit code, or a unit you may not enter forms for"),
    "bad_date": _l("The date must be written YYYY-MM-DD"),
    "future_date": _l("The date is in the future"),
    "unit_not_active": _l("The unit did not exist on that date"),
    "missing_answer": _l("A required answer is missing"),
    "bad_value": _l("A value is not on the scale"),
    "comment_too_long": _l("The comment is longer than 2,000 characters"),
    "bad_kind": _l("The respondent kind must be citizen or business"),
    "bad_procedure_field": _l("Unknown procedure field code"),
}

PUBLIC_ENDPOINTS = {"admin.login"}
#: POST endpoints any signed-in user may use (they change only their own session).
SESSION_ENDPOINTS = {"admin.login", "admin.logout"}


@bp.before_request
def require_sign_in():
    """The one gate of the module: signed in, and read-only users never change data."""
    g.locale = str(get_locale() or "vi")
    g.user = auth.active_user(session.get("user_id"))
    if g.user is None:
        if request.endpoint not in PUBLIC_ENDPOINTS:
            return redirect(url_for("admin.login", next=request.path))
        return None
    g.scope = scope_for(g.user)
    if request.method not in ("GET", "HEAD") and request.endpoint not in SESSION_ENDPOINTS:
        g.scope.require(Permission.WRITE)
    return None


@bp.context_processor
def admin_helpers():
    if not g.get("user"):
        return {}
    return {"logout_form": EmptyForm(), "unread": unread_count(g.user.id)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        if auth.is_throttled(form.email.data, request.remote_addr):
            abort(429)
        user = auth.authenticate(form.email.data, form.password.data)
        if user is None:
            auth.record_failure(form.email.data, request.remote_addr)
        else:
            session.clear()
            session["user_id"] = user.id
            session.permanent = False
            target = request.args.get("next", "")
            if not target.startswith("/admin/") or target.startswith("//"):
                target = url_for("admin.index")
            return redirect(target, code=303)
        flash(_("The e-mail or password is not correct."), "error")
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        session.pop("user_id", None)
    return redirect(url_for("admin.login"), code=303)


@bp.get("/")
def index():
    if not g.scope.may(Permission.MANAGE_CODES):
        return redirect(url_for("admin.reports_home"))
    units = overview.units_with_codes(g.scope)
    codes = {
        token.id: Markup(qr_svg(survey_url(token.token)))
        for unit in units
        for counter in unit.counters
        for token in counter.qr_tokens
        if token.is_active
    }
    return render_template(
        "admin/index.html", units=units, qr_svgs=codes, survey_url=survey_url,
        activity=overview.counter_activity(),
    )


@bp.route("/import", methods=["GET", "POST"])
def import_responses():
    """Paper forms: a CSV batch, all-or-nothing unless the user asks to skip bad rows."""
    g.scope.require(Permission.WRITE)
    form = ImportForm()
    form.questionnaire.choices = questionnaire_choices(g.locale)
    result, refused, status = None, None, 200
    if form.validate_on_submit():
        try:
            result = import_paper_forms(
                form.questionnaire.data, form.file.data.read(), g.scope,
                skip_bad=form.skip_bad.data, user_id=g.user.id,
            )
        except ImportRefused as exc:
            refused, status = exc, 422
        else:
            if result.errors and not form.skip_bad.data:
                status = 422
    elif request.method == "POST":
        status = 422
    return render_template(
        "admin/import.html", form=form, result=result, refused=refused,
        messages=IMPORT_MESSAGES,
    ), status
