"""Alert pages: the list every office works from, one alert with its evidence and the
unit's remedy, the user's inbox, and the rules."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from satisfaction.accounts.access import Permission, visible_indices
from satisfaction.alerts import inbox as alert_inbox
from satisfaction.alerts.rules import (
    RuleError,
    add_rule,
    all_rules,
    find_rule,
    measure_label,
    switch_off,
)
from satisfaction.catalogue.lookup import source_of
from satisfaction.clock import utcnow
from satisfaction.db.alerts import Alert, AlertState

from .. import bp
from ..forms import EmptyForm, RemedyForm, RuleForm


def _alert_or_404(alert_id: int) -> Alert:
    alert = alert_inbox.find_alert(g.scope, alert_id)
    if alert is None:
        abort(404)
    return alert


@bp.get("/alerts/")
def alerts():
    show_all = request.args.get("state") == "all"
    rows = alert_inbox.alert_list(g.scope, cleared_too=show_all)
    return render_template("admin/alerts.html", alerts=rows, show_all=show_all,
                           now=utcnow(), label=_label)


def _label(alert: Alert, measure: str | None = None) -> str:
    definition = source_of(alert.rule.index).definition
    return measure_label(definition, alert.measure if measure is None else measure, g.locale)


@bp.route("/alerts/<int:alert_id>", methods=["GET", "POST"])
def alert(alert_id: int):
    alert = _alert_or_404(alert_id)
    form = RemedyForm(obj=None)
    alert_inbox.mark_read(alert, g.user.id)
    status = 200
    if request.method == "POST":
        if alert.state == AlertState.CLEARED.value:
            abort(409, description=_("This alert has been cleared; nothing to acknowledge."))
        if form.validate_on_submit():
            try:
                alert_inbox.record_remedy(alert, remedy=form.remedy.data,
                                          owner=form.owner.data, due=form.due.data,
                                          user_id=g.user.id)
            except alert_inbox.AlertCleared:
                abort(409, description=_("This alert has been cleared; nothing to acknowledge."))
            flash(_("The remedy was recorded."), "info")
            return redirect(url_for(".alert", alert_id=alert.id), code=303)
        status = 422
    elif alert.remedy:
        form.remedy.data, form.owner.data, form.due.data = (
            alert.remedy, alert.remedy_owner, alert.remedy_due)
    return render_template("admin/alert.html", alert=alert, form=form, label=_label,
                           history=alert_inbox.history(alert)), status


@bp.get("/inbox")
def inbox():
    return render_template("admin/inbox.html", entries=alert_inbox.inbox(g.user.id),
                           label=_label)


@bp.route("/alerts/rules", methods=["GET", "POST"])
def rules():
    if request.method == "POST":
        g.scope.require(Permission.MANAGE_RULES)
    form = RuleForm()
    form.index.choices = [(i.code, i.name(g.locale)) for i in visible_indices(g.scope)
                          if i.method == "top_two_box"]
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            add_rule(index_code=form.index.data, target=form.target.data,
                     window=form.window.data, min_n=form.min_n.data,
                     false_flag_rate=form.rate.data, level=form.level.data,
                     code=form.code.data or None, user_id=g.user.id)
        except RuleError as exc:
            form.window.errors = [*form.window.errors, str(exc)]
            status = 422
        else:
            flash(_("The rule was added."), "info")
            return redirect(url_for(".rules"), code=303)
    elif request.method == "POST":
        status = 422
    listing = all_rules()
    return render_template("admin/rules.html", form=form, rules=listing,
                           may_manage=g.scope.may(Permission.MANAGE_RULES),
                           remove_form=EmptyForm()), status


@bp.post("/alerts/rules/<int:rule_id>/remove")
def remove_rule(rule_id: int):
    g.scope.require(Permission.MANAGE_RULES)
    form = EmptyForm()
    rule = find_rule(rule_id)
    if rule is None:
        abort(404)
    if form.validate_on_submit():
        switch_off(rule, g.user.id)
        flash(_("The rule was switched off; its alerts are kept."), "info")
    return redirect(url_for(".rules"), code=303)
