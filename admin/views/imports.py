"""CSV imports of the offices' module: paper forms, and the dossier list from the one-stop
system. Both all-or-nothing unless the user asks to skip bad rows."""

from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from satisfaction.accounts.access import Permission, scope_for
from satisfaction.catalogue.lookup import questionnaire_choices
from satisfaction.csvimport import ImportRefused
from satisfaction.intake import dossiers, paper, writelock
from satisfaction.intake.paper import import_paper_forms
from satisfaction.units import roster

from .. import bp
from ..forms import DossierImportForm, ImportForm, UnitImportForm

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

@bp.route("/import", methods=["GET", "POST"])
def import_responses():
    """Paper forms: a CSV batch, all-or-nothing unless the user asks to skip bad rows."""
    g.scope.require(Permission.WRITE)
    form = ImportForm()
    form.questionnaire.choices = questionnaire_choices(g.locale, g.scope.index_codes)
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


#: Uploads larger than the app's 64 KB: endpoint -> (who may send one, the setting that
#: overrides the limit, the limit).
UPLOADS = {
    "admin.import_responses": (Permission.WRITE, "PAPER_MAX_CONTENT_LENGTH",
                               paper.MAX_UPLOAD_BYTES),
    "admin.import_dossiers": (Permission.WRITE, "DOSSIER_MAX_CONTENT_LENGTH",
                              dossiers.MAX_UPLOAD_BYTES),
    "admin.import_units": (Permission.MANAGE_UNITS, "UNITS_MAX_CONTENT_LENGTH",
                           roster.MAX_UPLOAD_BYTES),
}
#: What the multipart parser may buffer for an upload (see ``allow_large_uploads``).
FORM_MEMORY_BYTES = 1024 * 1024

DOSSIER_MESSAGES = {
    **IMPORT_MESSAGES,
    "not_utf8": _l("The file is not UTF-8 text (it was probably saved as “CSV” or "
                   "Windows-1258). In Excel choose “Save as” and then “CSV UTF-8 (Comma "
                   "delimited)”. First problem on line"),
    "no_rows": _l("The file has a header but no dossiers."),
    "missing_columns": _l("Columns are missing (needed: code, unit, received_on)"),
    "unknown_columns": _l("Unknown columns (allowed: code, unit, procedure_field, "
                          "received_on, returned_on)"),
    "imported_meanwhile": _l("Another import stored some of these dossiers at the same time. "
                             "Please send the file again."),
    "bad_code": _l("Not a dossier code"),
    "duplicate_code": _l("The same dossier code is already on the line shown"),
    "already_imported": _l("This dossier was imported before"),
    "unknown_unit": _l("Unknown unit code, or a unit you may not import dossiers for"),
    "bad_date": _l("The date must be written YYYY-MM-DD or DD/MM/YYYY"),
    "returned_before_received": _l("The dossier is returned before it was received"),
}


@bp.url_value_preprocessor
def allow_large_uploads(endpoint: str | None, values: dict | None) -> None:
    """Raise the body limit for the CSV uploads only.

    The app-wide ``MAX_CONTENT_LENGTH`` (64 KB) suits survey answers, not a batch of paper
    forms (about 4 MB for 50,000 forms), a month's dossier list (about 3 MB for 50,000
    dossiers) or a country's unit list. Only these endpoints
    accept more, and only from a signed-in user who may use them, so nobody else can make
    the server read megabytes. It is set here because URL value preprocessors run before
    the app's ``before_request`` functions, and CSRFProtect's reads the body there.
    """
    if endpoint not in UPLOADS or request.method != "POST":
        return
    permission, setting, limit = UPLOADS[endpoint]
    if current_user.is_authenticated and scope_for(current_user).may(permission):
        request.max_content_length = current_app.config.get(setting, limit)
        # Werkzeug's multipart parser holds up to this much of the body at once, file parts
        # included, in 64 KB reads: at the app's 64 KB it refuses any file above ~64 KB.
        request.max_form_memory_size = FORM_MEMORY_BYTES


@bp.route("/dossiers/import", methods=["GET", "POST"])
def import_dossiers():
    """The dossier list: a CSV, all-or-nothing unless the user asks to skip bad rows."""
    g.scope.require(Permission.WRITE)
    form = DossierImportForm()
    result, refused, status = None, None, 200
    if form.validate_on_submit():
        try:
            result = dossiers.import_dossiers(
                form.file.data.read(), g.scope, skip_bad=form.skip_bad.data,
                user_id=g.user.id, before_write=writelock.acquire,
            )
        except ImportRefused as exc:
            refused, status = exc, 422
        else:
            if result.errors and (not form.skip_bad.data or not result.stored):
                status = 422
    elif request.method == "POST":
        status = 422
    return render_template(
        "admin/dossiers.html", form=form, result=result, refused=refused,
        messages=DOSSIER_MESSAGES, max_rows=dossiers.MAX_ROWS,
    ), status


UNIT_MESSAGES = {
    **IMPORT_MESSAGES,
    "no_rows": _l("The file has a header but no units."),
    "missing_columns": _l("Columns are missing (needed: code, name_vi, kind, valid_from)"),
    "unknown_columns": _l("Unknown columns (allowed: code, name_vi, name_en, kind, parent, "
                          "valid_from, valid_to, successor, predecessors, email)"),
    "bad_code": _l("Not a unit code (letters, digits, dot, dash, underscore)"),
    "duplicate_code": _l("The same unit code is already on the line shown"),
    "missing_name": _l("The Vietnamese name is missing"),
    "bad_kind": _l("Unknown kind (province, city, district, office, ward, commune, "
                   "special_zone)"),
    "bad_date": _l("The date must be written YYYY-MM-DD or DD/MM/YYYY"),
    "ends_before_it_starts": _l("The unit ends before it starts"),
    "bad_share": _l("A predecessor's share must be a number above 0 and at most 1"),
    "unknown_parent": _l("Unknown parent unit"),
    "unknown_successor": _l("Unknown successor unit"),
    "unknown_predecessor": _l("Unknown predecessor unit"),
    "predecessor_still_exists": _l("The predecessor still exists when this unit starts"),
    "shares_over_one": _l("The shares given of this predecessor add up to more than 1"),
    "parent_loop": _l("The unit is its own parent, directly or through others"),
    "orphans": _l("These would be left on a unit that ends with no successor; give it a "
                  "successor, or move them first"),
    "successor_not_in_force": _l("The successor must exist on the day after this unit ends"),
}


@bp.route("/units/import", methods=["GET", "POST"])
def import_units():
    """The official unit list: a CSV, all or nothing."""
    g.scope.require(Permission.MANAGE_UNITS)
    form = UnitImportForm()
    result, refused, status = None, None, 200
    if form.validate_on_submit():
        try:
            result = roster.import_units(form.file.data.read(), user_id=g.user.id)
        except ImportRefused as exc:
            refused, status = exc, 422
        else:
            if result.errors:
                status = 422  # the request is rolled back: nothing of the file is kept
    elif request.method == "POST":
        status = 422
    return render_template(
        "admin/units.html", form=form, result=result, refused=refused, messages=UNIT_MESSAGES,
        units=roster.listing(), orphan_text=_orphan_text,
    ), status


def _orphan_text(orphan: roster.Orphan) -> str:
    if orphan.what == "index_owner":
        return _("owner office of the index %(code)s", code=orphan.detail)
    n = int(orphan.detail)
    return {
        "counters": lambda: ngettext("%(num)s counter", "%(num)s counters", n),
        "qr_codes": lambda: ngettext("%(num)s QR code", "%(num)s QR codes", n),
        "staff": lambda: ngettext("%(num)s staff account", "%(num)s staff accounts", n),
        "open_units": lambda: ngettext("%(num)s unit below it that does not end",
                                       "%(num)s units below it that do not end", n),
    }[orphan.what]()
