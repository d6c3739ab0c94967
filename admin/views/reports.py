"""Report pages and exports of the offices' module."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from satisfaction import clock
from satisfaction.accounts.access import Permission, visible_indices, visible_units
from satisfaction.catalogue.lookup import UnknownQuestionnaire
from satisfaction.db.accounts import AuditEntry
from satisfaction.extensions import db
from satisfaction.indices import periods
from satisfaction.indices.measures import lowest_items
from satisfaction.reporting import exports
from satisfaction.reporting.charts import trend_svg
from satisfaction.reporting.reports import (
    BELOW,
    MEETS,
    NO_DATA,
    NOT_ENOUGH,
    Withheld,
    ranks,
    unit_report,
)
from satisfaction.units.tree import in_display_order
from satisfaction.web.numbers import format_decimal

from .. import bp

PERIOD_MESSAGES = {
    "bad_period": _l("This period was not understood. Write it as 2026, Quý 4/2026, "
                     "T10/2026 or 01/10/2026 – 31/12/2026."),
    "bad_date": _l("Dates must be written as YYYY-MM-DD, for example 2026-03-31."),
    "end_before_start": _l("The period ends before it starts. Please check the dates."),
    "too_long": _l("The period is too long: at most ten years."),
}
REPORT_MESSAGES = {
    "unknown_questionnaire": _l("This index has no questionnaire with that code."),
}
EVIDENCE_LABELS = {
    "meets": _l("Meets the target"),
    "below": _l("Below the target (significant)"),
    "not_significant": _l("Below, not yet conclusive"),
    "not_enough_data": _l("Not enough data"),
}
STATE_LABELS = {
    MEETS: _l("Meets the target"),
    BELOW: _l("Below the target"),
    NO_DATA: _l("No data"),
    NOT_ENOUGH: _l("Not enough data"),
}


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return _("No data")
    return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0")


#: Pages that show the filter form again with the message when the period is not
#: understood (the downloads answer 400: there is no form to show).
PAGES_WITH_FILTERS = {"admin.report", "admin.inspection"}


def _period_not_understood(exc: periods.PeriodError) -> None:
    """A download answers 400; a page with the filter form notes the reason for the form
    (``g.period_error``) and goes on."""
    message = str(PERIOD_MESSAGES.get(str(exc), PERIOD_MESSAGES["bad_period"]))
    if request.endpoint not in PAGES_WITH_FILTERS:
        abort(400, description=message)
    g.period_error = message


def period_from_request() -> periods.Period:
    try:
        return periods.parse(
            request.args.get("period"), request.args.get("from"), request.args.get("to"),
            today=clock.today(),
        )
    except periods.PeriodError as exc:
        # The page again, for the current year, with what was typed and why it was not
        # understood beside the field.
        _period_not_understood(exc)
        return periods.parse(today=clock.today())


def default_unit_code() -> str:
    units = visible_units(g.scope)
    if not units:
        abort(403)
    if g.user.unit_id and g.scope.sees_unit(g.user.unit_id):
        return next(u.code for u in units if u.id == g.user.unit_id)
    return in_display_order(units)[0].code


@bp.get("/reports/")
def reports_home():
    indices = visible_indices(g.scope)
    if not indices:
        abort(403)
    return redirect(url_for(".report", index_code=indices[0].code,
                            unit_code=default_unit_code(), **_period_args()))


PERIOD_ARGS = ("period", "from", "to", "questionnaire", "compare")


def _period_args() -> dict[str, str]:
    return {k: v for k in PERIOD_ARGS if (v := request.args.get(k, "").strip())}


@bp.get("/reports/show")
def report_redirect():
    """Where the filter form (a plain GET form, no JavaScript) lands."""
    index_code = request.args.get("index", "")
    unit_code = request.args.get("unit", "")
    if not index_code or not unit_code:
        return redirect(url_for(".reports_home"))
    return redirect(url_for(".report", index_code=index_code, unit_code=unit_code,
                            **_period_args()))


def compare_from_request() -> periods.Period | None:
    """The period to compare with (``?compare=2024``), when one is asked for."""
    text = request.args.get("compare", "").strip()
    if not text:
        return None
    try:
        return periods.parse(text, today=clock.today())
    except periods.PeriodError as exc:
        _period_not_understood(exc)
        return None


@bp.errorhandler(Withheld)
def withheld(error: Withheld):
    """The disclosure rule kept the figures back: say so and why (200 for the page, which
    is an answer; 403 for a download, which did not happen)."""
    status = 200 if request.endpoint == "admin.report" else 403
    return render_template("admin/withheld.html", error=error, locale=g.locale,
                           period_args=_period_args()), status


def _report():
    period = period_from_request()
    try:
        return unit_report(
            g.scope, request.view_args["index_code"], request.view_args["unit_code"], period,
            request.args.get("questionnaire") or None, compare=compare_from_request(),
        )
    except UnknownQuestionnaire as exc:
        abort(400, description=str(REPORT_MESSAGES.get(str(exc), exc)))


@bp.get("/reports/<index_code>/<unit_code>")
def report(index_code: str, unit_code: str):
    report = _report()
    locale = g.locale
    chart = Markup(trend_svg(
        [(f"{m:02d}/{y}", p.value, p.responses) for (y, m), p in
         ((point.month, point) for point in report.trend)],
        scale_min=report.index.scale_min, scale_max=report.index.scale_max,
        target=report.result.target,
        title=_("%(index)s by month", index=report.index.name(locale)),
        no_data=_("No data"), fmt=fmt,
    ))
    return render_template(
        "admin/report.html",
        report=report, chart=chart, fmt=fmt, states=STATE_LABELS,
        evidence_states=EVIDENCE_LABELS,
        indices=visible_indices(g.scope), units=visible_units(g.scope),
        definition=report.source.definition, locale=locale,
        lowest_codes={item.code for item in report.lowest},
        lowest_of=lambda row: lowest_items(row.score), period_args=_period_args(),
        child_ranks=ranks(report.children),
    ), 422 if g.get("period_error") else 200


@bp.get("/reports/<index_code>/<unit_code>.xlsx")
def report_xlsx(index_code: str, unit_code: str):
    report = _report()
    data = exports.report_xlsx(report, g.locale)
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": exports.attachment(report, "xlsx")},
    )


@bp.get("/reports/<index_code>/<unit_code>.csv")
def report_csv(index_code: str, unit_code: str):
    report = _report()
    return Response(
        exports.report_csv(report, g.locale,
                           "vi" if request.args.get("dialect") == "vi" else "plain"),
        mimetype="text/csv",
        headers={"Content-Disposition": exports.attachment(report, "csv")},
    )


@bp.get("/reports/<index_code>/<unit_code>/responses.csv")
def responses_csv(index_code: str, unit_code: str):
    """One row per response: the reviewing office's and administrators' only, and each
    download is in the audit log."""
    g.scope.require(Permission.READ_RESPONSES)
    report = _report()
    db.session.add(AuditEntry(
        action="responses.download", user_id=g.user.id,
        subject=f"{report.index.code}/{report.unit.code}",
        details={"from": report.period.start.isoformat(), "to": report.period.end.isoformat(),
                 "questionnaire": report.source.questionnaire.code}))
    return Response(
        stream_with_context(exports.responses_csv(report, g.scope)),
        mimetype="text/csv",
        headers={"Content-Disposition": exports.attachment(report, "csv", "phieu")},
    )
