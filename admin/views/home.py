"""The administrator's home: every unit with its counters, their codes and activity."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for
from markupsafe import Markup

from satisfaction.accounts.access import Permission
from satisfaction.qrcodes import overview
from satisfaction.qrcodes.images import qr_svg
from satisfaction.qrcodes.links import survey_url

from .. import bp


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
