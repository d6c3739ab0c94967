"""``flask alerts``: the rules and the check that cron runs."""

from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from satisfaction.alerts.check import check
from satisfaction.alerts.notify import SENDERS, deliver_due
from satisfaction.alerts.replays import replay_rules
from satisfaction.alerts.rules import RuleError, add_rule, all_rules, find_rule, switch_off
from satisfaction.extensions import db

alerts_cli = AppGroup("alerts", help="Low-score alerts: rules and checks.")
rule_cli = AppGroup("rule", help="Alert rules.")
alerts_cli.add_command(rule_cli)


@rule_cli.command("add")
@click.option("--index", "index_code", required=True)
@click.option("--questionnaire", default=None,
              help="The questionnaire watched (default: the index's first).")
@click.option("--target", type=float, required=True, help="Percent satisfied, 0-100.")
@click.option("--window", required=True, help="30d, month, quarter or year.")
@click.option("--min-n", type=int, required=True, help="Fewer answers: not enough data.")
@click.option("--rate", type=float, default=0.05, show_default=True,
              help="False-flag rate (Benjamini-Hochberg) across units and measures.")
@click.option("--level", type=click.Choice(["all", "overall", "element", "criterion"]),
              default="all", show_default=True)
@click.option("--code", default=None, help="Only this element or criterion.")
@click.option("--no-unit", is_flag=True, help="Do not e-mail the unit.")
@click.option("--no-owner", is_flag=True, help="Do not e-mail the index owner office.")
@click.option("--shift", type=float, default=7.0, show_default=True,
              help="The drop below target (points) the check is built to catch.")
@click.option("--years", type=float, default=5.0, show_default=True,
              help="A unit at target gets at most one false alert in this many years.")
@click.option("--rejoin-days", type=int, default=30, show_default=True,
              help="A flag within this many days of clearing continues the same episode.")
@click.option("--escalate-after", type=int, default=14, show_default=True,
              help="Days without a remedy before the owner office is told.")
def rule_add(index_code, questionnaire, target, window, min_n, rate, level, code, no_unit,
             no_owner, shift, years, rejoin_days, escalate_after) -> None:
    """Add an alert rule."""
    try:
        rule = add_rule(index_code=index_code, questionnaire=questionnaire, target=target,
                        window=window, min_n=min_n, false_flag_rate=rate, level=level, code=code,
                        notify_unit=not no_unit, notify_owner=not no_owner, shift=shift,
                        years_per_false_alert=years, rejoin_days=rejoin_days,
                        escalate_after_days=escalate_after)
    except RuleError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Rule {rule.id}: {index_code} ({rule.questionnaire_code}) {level}"
               f"{' ' + code if code else ''} target {target}% drop {shift} one false alert "
               f"in {years} years window {window} min-n {min_n}")


@rule_cli.command("list")
def rule_list() -> None:
    """List the alert rules."""
    for rule in all_rules():
        level = rule.level + (" " + rule.code if rule.code else "")
        click.echo(f"{rule.id}\t{rule.index.code}\t{rule.questionnaire_code}\t{level}"
                   f"\ttarget {rule.target}%\twindow {rule.window_label}\tmin-n {rule.min_n}"
                   f"\trate {rule.false_flag_rate}\t{'active' if rule.is_active else 'off'}")


@rule_cli.command("remove")
@click.argument("rule_id", type=int)
def rule_remove(rule_id: int) -> None:
    """Switch a rule off (its alerts and their history are kept)."""
    rule = find_rule(rule_id)
    if rule is None:
        raise click.ClickException(f"no rule {rule_id}")
    switch_off(rule)
    db.session.commit()
    click.echo(f"Rule {rule_id} switched off.")


def _day(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: a date as YYYY-MM-DD") from exc


@alerts_cli.command("check")
@click.option("--dry-run", is_flag=True, help="Print what would happen; change nothing.")
@click.option("--as-of", "--today", "day", default=None, callback=_day,
              help="Run as the check would have run on this day (YYYY-MM-DD).")
def alerts_check(dry_run: bool, day: date | None) -> None:
    """Evaluate every rule, open and clear alerts, send what is due. Safe from cron."""
    try:
        report = check(day, dry_run=dry_run)
    except IntegrityError as exc:
        db.session.rollback()
        raise click.ClickException("another check opened the same alerts at the same time; "
                                   "nothing was changed by this run") from exc
    for line in report.lines:
        click.echo(line)
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was changed or sent.")
        return
    db.session.commit()
    sent, failed = deliver_due(SENDERS)
    click.echo(f"{len(report.opened)} opened, {len(report.reopened)} continued, "
               f"{len(report.cleared)} cleared, "
               f"{report.still_open} still open, {report.escalated} escalated; "
               f"{sent} notifications sent, {failed} failed (kept for a later run).")


@alerts_cli.command("replay")
@click.option("--from", "first", required=True, callback=_day, help="First day (YYYY-MM-DD).")
@click.option("--to", "last", required=True, callback=_day, help="Last day (YYYY-MM-DD).")
@click.option("--rule", "rule_ids", type=int, multiple=True, help="Only this rule (repeatable).")
@click.option("--unit", "unit_codes", multiple=True, help="Only this unit (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def alerts_replay(first: date, last: date, rule_ids: tuple[int, ...],
                  unit_codes: tuple[str, ...], as_json: bool) -> None:
    """The episodes the daily check would have opened and closed over a past range, from the
    stored answers; changes and sends nothing."""
    try:
        result = replay_rules(first, last, rule_ids, unit_codes)
    except RuleError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.session.rollback()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    for rule in result["rules"]:
        click.echo(f"Rule {rule['rule']} ({rule['index']}, target {rule['target']}%): "
                   f"{len(rule['episodes'])} episode(s) in {rule['units_with_episodes']} "
                   f"of {rule['units']} unit(s)")
        for e in rule["episodes"]:
            click.echo(f"  {e['unit']}\topened {e['opened']}\t"
                       f"{'closed ' + e['closed'] if e['closed'] else 'still open'}\t"
                       f"{', '.join(m or 'index' for m in e['measures'])}")
