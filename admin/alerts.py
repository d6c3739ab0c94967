"""Alert pages: the list every office works from, one alert with its evidence and the
unit's remedy, the user's inbox, and the rules."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from satisfaction.accounts.access import Permission
from satisfaction.alerts import RuleError, add_rule, measure_label
from satisfaction.catalogue.lookup import source_of
from satisfaction.clock import utcnow
from satisfaction.db.accounts import AuditEntry
from satisfaction.db.alerts import Alert, AlertRule, AlertState, InboxEntry
from satisfaction.extensions import db

from . import bp
from .forms import EmptyForm


class RemedyForm(FlaskForm):
    remedy = TextAreaField(_l("What was done, or will be done"),
                           validators=[DataRequired(_l("Please describe the remedy.")),
                                       Length(max=4000)])
    owner = StringField(_l("By whom"), validators=[DataRequired(_l("Please say who.")),
                                                  Length(max=200)])
    due = DateField(_l("By when"), validators=[InputRequired(_l("Please give a date."))])


class RuleForm(FlaskForm):
    index = SelectField(_l("Index"), validators=[DataRequired()])
    target = FloatField(_l("Target (percent satisfied)"),
                        validators=[InputRequired(), NumberRange(0, 100)])
    window = StringField(_l("Window (30d, month, quarter, year)"), default="30d",
                         validators=[DataRequired(), Length(max=8)])
    min_n = IntegerField(_l("Minimum number of answers"), default=30,
                         validators=[InputRequired(), NumberRange(1, 100000)])
    rate = FloatField(_l("False-flag rate"), default=0.05,
                      validators=[InputRequired(), NumberRange(0.0001, 0.5)])
    level = SelectField(_l("What is tested"), choices=[
        ("all", _l("The index, its elements and criteria")), ("overall", _l("The index")),
        ("element", _l("Elements")), ("criterion", _l("Criteria"))])
    code = StringField(_l("Only this element or criterion (optional)"),
                       validators=[Optional(), Length(max=16)])


def visible_alerts():
    query = sa.select(Alert).join(AlertRule).where(g.scope.unit_filter(Alert.unit_id))
    if g.scope.index_codes is not None:
        from satisfaction.db.catalogue import IndexDefinition

        query = query.join(IndexDefinition, IndexDefinition.id == AlertRule.index_id).where(
            IndexDefinition.code.in_(sorted(g.scope.index_codes)))
    return query


def _alert_or_404(alert_id: int) -> Alert:
    alert = db.session.scalar(visible_alerts().where(Alert.id == alert_id))
    if alert is None:
        abort(404)
    return alert


@bp.get("/alerts/")
def alerts():
    show_all = request.args.get("state") == "all"
    query = visible_alerts()
    if not show_all:
        query = query.where(Alert.state != AlertState.CLEARED.value)
    rows = db.session.scalars(query.order_by(Alert.escalated_at.is_(None), Alert.opened_at)).all()
    return render_template("admin/alerts.html", alerts=rows, show_all=show_all,
                           now=utcnow(), label=_label)


def _label(alert: Alert, measure: str | None = None) -> str:
    definition = source_of(alert.rule.index).definition
    return measure_label(definition, alert.measure if measure is None else measure, g.locale)


@bp.route("/alerts/<int:alert_id>", methods=["GET", "POST"])
def alert(alert_id: int):
    alert = _alert_or_404(alert_id)
    form = RemedyForm(obj=None)
    entry = db.session.scalar(sa.select(InboxEntry).where(
        InboxEntry.alert_id == alert.id, InboxEntry.user_id == g.user.id))
    if entry is not None and entry.read_at is None:
        entry.read_at = utcnow()
    status = 200
    if request.method == "POST":
        if alert.state == AlertState.CLEARED.value:
            abort(409, description=_("This alert has been cleared; nothing to acknowledge."))
        if form.validate_on_submit():
            now = utcnow()
            if alert.acknowledged_at is None:
                alert.acknowledged_at, alert.acknowledged_by_id = now, g.user.id
            alert.state = AlertState.ACKNOWLEDGED.value
            alert.remedy, alert.remedy_owner = form.remedy.data.strip(), form.owner.data.strip()
            alert.remedy_due = form.due.data
            db.session.add(AuditEntry(user_id=g.user.id, action="alerts.remedy",
                                      subject=str(alert.id), details={
                                          "remedy": alert.remedy, "owner": alert.remedy_owner,
                                          "due": alert.remedy_due.isoformat()}))
            flash(_("The remedy was recorded."), "info")
            return redirect(url_for(".alert", alert_id=alert.id), code=303)
        status = 422
    elif alert.remedy:
        form.remedy.data, form.owner.data, form.due.data = (
            alert.remedy, alert.remedy_owner, alert.remedy_due)
    history = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject == str(alert.id), AuditEntry.action.like("alerts.%"))
        .order_by(AuditEntry.at)).all()
    return render_template("admin/alert.html", alert=alert, form=form, label=_label,
                           history=history), status


@bp.get("/inbox")
def inbox():
    entries = db.session.scalars(
        sa.select(InboxEntry).where(InboxEntry.user_id == g.user.id)
        .order_by(InboxEntry.read_at.is_not(None), InboxEntry.created_at.desc())
    ).all()
    return render_template("admin/inbox.html", entries=entries, label=_label)


@bp.route("/alerts/rules", methods=["GET", "POST"])
def rules():
    if request.method == "POST":
        g.scope.require(Permission.MANAGE_RULES)
    from satisfaction.accounts.access import visible_indices

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
    listing = db.session.scalars(sa.select(AlertRule).order_by(AlertRule.id)).all()
    return render_template("admin/rules.html", form=form, rules=listing,
                           may_manage=g.scope.may(Permission.MANAGE_RULES),
                           remove_form=EmptyForm()), status


@bp.post("/alerts/rules/<int:rule_id>/remove")
def remove_rule(rule_id: int):
    g.scope.require(Permission.MANAGE_RULES)
    form = EmptyForm()
    rule = db.session.get(AlertRule, rule_id)
    if rule is None:
        abort(404)
    if form.validate_on_submit():
        rule.is_active = False
        db.session.add(AuditEntry(user_id=g.user.id, action="alerts.rule.remove",
                                  subject=str(rule_id)))
        flash(_("The rule was switched off; its alerts are kept."), "info")
    return redirect(url_for(".rules"), code=303)
