"""``flask alerts``: the rules and the check that cron runs."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from satisfaction.alerts.check import check
from satisfaction.alerts.notify import SENDERS, deliver_due
from satisfaction.alerts.rules import RuleError, add_rule, all_rules, find_rule, switch_off
from satisfaction.extensions import db

alerts_cli = AppGroup("alerts", help="Low-score alerts: rules and checks.")
rule_cli = AppGroup("rule", help="Alert rules.")
alerts_cli.add_command(rule_cli)


@rule_cli.command("add")
@click.option("--index", "index_code", required=True)
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
def rule_add(index_code, target, window, min_n, rate, level, code, no_unit, no_owner) -> None:
    """Add an alert rule."""
    try:
        rule = add_rule(index_code=index_code, target=target, window=window, min_n=min_n,
                        false_flag_rate=rate, level=level, code=code,
                        notify_unit=not no_unit, notify_owner=not no_owner)
    except RuleError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Rule {rule.id}: {index_code} {level}{' ' + code if code else ''} "
               f"target {target}% window {window} min-n {min_n} rate {rate}")


@rule_cli.command("list")
def rule_list() -> None:
    """List the alert rules."""
    for rule in all_rules():
        level = rule.level + (" " + rule.code if rule.code else "")
        click.echo(f"{rule.id}\t{rule.index.code}\t{level}"
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


@alerts_cli.command("check")
@click.option("--dry-run", is_flag=True, help="Print what would happen; change nothing.")
@click.option("--today", default=None, help="Evaluate as of this day (YYYY-MM-DD).")
def alerts_check(dry_run: bool, today: str | None) -> None:
    """Evaluate every rule, open and clear alerts, send what is due. Safe from cron."""
    day = date.fromisoformat(today) if today else None
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
    click.echo(f"{len(report.opened)} opened, {len(report.cleared)} cleared, "
               f"{report.still_open} still open, {report.escalated} escalated; "
               f"{sent} notifications sent, {failed} failed (kept for a later run).")
