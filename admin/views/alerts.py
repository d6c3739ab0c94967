"""Alert pages: the list every office works from, one alert with its evidence and the
unit's remedy, the user's inbox, and the rules."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from satisfaction.accounts.access import Permission, visible_indices, visible_units
from satisfaction.accounts.users import user_emails
from satisfaction.alerts import inbox as alert_inbox
from satisfaction.alerts.check import check
from satisfaction.alerts.notify import SENDERS, deliver_due
from satisfaction.alerts.replays import last_year, replay_rule
from satisfaction.alerts.rules import (
    RuleError,
    add_rule,
    all_rules,
    build_rule,
    find_rule,
    measure_label,
    rule_source,
    set_commendation_rule,
    switch_off,
)
from satisfaction.clock import utcnow
from satisfaction.db.accounts import AuditEntry
from satisfaction.db.alerts import Alert, AlertState
from satisfaction.extensions import db

from .. import bp
from ..forms import (
    COMMENDATION_LABELS,
    LEVEL_LABELS,
    WINDOW_LABELS,
    CommendationForm,
    EmptyForm,
    RemedyForm,
    RuleForm,
    options,
)


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
                           now=utcnow(), label=_label, check_form=EmptyForm())


def _label(alert: Alert, measure: str | None = None) -> str:
    definition = rule_source(alert.rule).definition
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
            except alert_inbox.PastDue:
                form.due.errors = [*form.due.errors, _("The date has passed: give today or "
                                                       "a later day.")]
            else:
                flash(_("The remedy was recorded."), "info")
                return redirect(url_for(".alert", alert_id=alert.id), code=303)
        status = 422
    elif alert.remedy:
        form.remedy.data, form.owner.data, form.due.data = (
            alert.remedy, alert.remedy_owner, alert.remedy_due)
    return render_template("admin/alert.html", alert=alert, form=form, label=_label,
                           acknowledge_form=EmptyForm(), history=_steps(alert)), status


@bp.post("/alerts/<int:alert_id>/acknowledge")
def acknowledge_alert(alert_id: int):
    alert = _alert_or_404(alert_id)
    if not EmptyForm().validate_on_submit():
        abort(400, description=_("The form has expired; please try again."))
    try:
        if alert_inbox.acknowledge(alert, g.user.id):
            flash(_("The alert is acknowledged: record the remedy when it is decided."), "info")
    except alert_inbox.AlertCleared:
        abort(409, description=_("This alert has been cleared; nothing to acknowledge."))
    return redirect(url_for(".alert", alert_id=alert.id), code=303)


def _day(iso: str) -> str:
    """An ISO date kept in the audit log, as the pages write dates."""
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return iso


def _steps(alert: Alert) -> list[tuple[object, str]]:
    """The alert's history in words: (when, what happened and who did it)."""
    entries = alert_inbox.history(alert)
    emails = user_emails({e.user_id for e in entries if e.user_id})
    return [(e.at, _step_text(e, emails.get(e.user_id))) for e in entries]


def _step_text(entry, who: str | None) -> str:
    details = entry.details or {}
    who = who or _("the daily check")
    if entry.action == "alerts.open":
        return _("Opened by %(who)s: below the target on %(n)s measure(s).", who=who,
                 n=len(details.get("measures", [])) or 1)
    if entry.action == "alerts.acknowledge":
        return _("Acknowledged by %(who)s.", who=who)
    if entry.action == "alerts.remedy":
        return _("Remedy recorded by %(who)s: %(remedy)s (%(owner)s, by %(due)s).", who=who,
                 remedy=details.get("remedy", ""), owner=details.get("owner", ""),
                 due=_day(details.get("due", "")))
    if entry.action == "alerts.escalate":
        if details.get("reason") == "past_due":
            return _("Escalated to the owner office, which was told: the remedy's date "
                     "passed with the unit still below the target.")
        return _("Escalated to the owner office, which was told: no remedy %(days)s days "
                 "after the alert opened.", days=details.get("after_days", "?"))
    if entry.action == "alerts.reopen":
        return _("Flagged again soon after clearing: the same episode goes on (no new "
                 "message).")
    if details.get("reason") == "unit_ended":
        return _("Closed: the unit ended (merged); its successor is judged on its own "
                 "answers.")
    return _("Cleared: the answers show the unit back at its target.")


@bp.post("/alerts/check")
def run_check():
    """What `flask alerts check` does from cron, on demand: open, continue and clear alerts,
    send what is due. In the audit log."""
    g.scope.require(Permission.RUN_CHECKS)
    if not EmptyForm().validate_on_submit():
        abort(400)
    report = check()
    db.session.add(AuditEntry(action="alerts.check", user_id=g.user.id, details={
        "opened": len(report.opened), "continued": len(report.reopened),
        "cleared": len(report.cleared), "escalated": report.escalated}))
    db.session.commit()
    sent, failed = deliver_due(SENDERS)
    flash(_("Check done: %(opened)s alert(s) opened, %(cleared)s cleared, %(open)s still open; "
            "%(sent)s message(s) sent, %(failed)s kept to send later.",
            opened=len(report.opened), cleared=len(report.cleared), open=report.still_open,
            sent=sent, failed=failed), "info")
    return redirect(url_for(".alerts"), code=303)


@bp.get("/inbox")
def inbox():
    return render_template("admin/inbox.html", entries=alert_inbox.inbox(g.user.id),
                           label=_label)


@bp.route("/alerts/rules", methods=["GET", "POST"])
def rules():
    if request.method == "POST":
        g.scope.require(Permission.MANAGE_RULES)
    form = RuleForm()
    form.index.choices = options((i.code, i.name(g.locale)) for i in visible_indices(g.scope)
                                 if i.method == "top_two_box")
    form.level.choices = options(LEVEL_LABELS)
    status, preview = 200, None
    if request.method == "POST" and form.validate_on_submit():
        settings = dict(
            index_code=form.index.data, questionnaire=form.questionnaire.data or None,
            target=form.target.data, window=form.window.data,
            min_n=form.min_n.data, false_flag_rate=form.rate.data, level=form.level.data,
            code=form.code.data or None, shift=form.shift.data,
            years_per_false_alert=form.years.data, rejoin_days=form.rejoin_days.data,
            escalate_after_days=form.escalate_after.data)
        try:
            if form.preview.data:
                preview = _preview(build_rule(**settings))
            else:
                add_rule(user_id=g.user.id, **settings)
        except RuleError as exc:
            form.window.errors = [*form.window.errors, str(exc)]
            status = 422
        else:
            if preview is None:
                flash(_("The rule was added."), "info")
                return redirect(url_for(".rules"), code=303)
    elif request.method == "POST":
        status = 422
    seen = {i.code for i in visible_indices(g.scope)}
    listing = [rule for rule in all_rules() if rule.index.code in seen]
    return render_template("admin/rules.html", form=form, rules=listing, preview=preview,
                           levels=LEVEL_LABELS, windows=WINDOW_LABELS,
                           may_manage=g.scope.may(Permission.MANAGE_RULES),
                           remove_form=EmptyForm(), commendation=_commendation_forms()), status


def _commendation_forms() -> list[tuple[object, CommendationForm]]:
    """One form per share index the user sees: its rule for commendation candidates."""
    forms = []
    for index in visible_indices(g.scope):
        if index.method != "top_two_box":
            continue
        form = CommendationForm(formdata=None, index=index.code, rule=index.commendation_rule)
        form.rule.choices = options(COMMENDATION_LABELS)
        forms.append((index, form))
    return forms


@bp.post("/alerts/commendation")
def commendation():
    g.scope.require(Permission.MANAGE_RULES)
    form = CommendationForm()
    form.rule.choices = options(COMMENDATION_LABELS)
    if not form.validate_on_submit():
        abort(400, description=_("The form has expired; please try again."))
    index = next((i for i in visible_indices(g.scope) if i.code == form.index.data), None)
    if index is None:
        abort(404)
    set_commendation_rule(index, form.rule.data, g.user.id)
    flash(_("The rule for commendation candidates was saved."), "info")
    return redirect(url_for(".rules"), code=303)


def _preview(rule) -> dict:
    """What the rule would have done over the last year, in the units the user sees."""
    first, last = last_year()
    result = replay_rule(rule, first, last)
    seen = {u.code for u in visible_units(g.scope)}
    episodes = [{**e, "opened": _day(e["opened"]), "closed": _day(e["closed"] or "") or None}
                for e in result["episodes"] if e["unit"] in seen]
    return {"from": first, "to": last, "episodes": episodes,
            "units": sorted({e["unit"] for e in episodes})}


@bp.post("/alerts/rules/<int:rule_id>/remove")
def remove_rule(rule_id: int):
    g.scope.require(Permission.MANAGE_RULES)
    form = EmptyForm()
    rule = find_rule(rule_id)
    # A rule of an index the user does not see does not exist for them.
    if rule is None or not g.scope.sees_index(rule.index.code):
        abort(404)
    if form.validate_on_submit():
        switch_off(rule, g.user.id)
        flash(_("The rule was switched off; its alerts are kept."), "info")
    return redirect(url_for(".rules"), code=303)
