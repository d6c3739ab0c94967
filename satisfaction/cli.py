"""Command-line tools: ``flask seed``, ``flask questionnaires``, ``flask users``,
``flask translate``. They call the same service functions as the views."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from satisfaction.accounts.access import SYSTEM_SCOPE
from satisfaction.accounts.users import UserError, create_user, find_user, new_password
from satisfaction.app import PROJECT_ROOT
from satisfaction.catalogue.loading import sync_questionnaires
from satisfaction.cli_dossiers import dossiers_cli
from satisfaction.cli_qr import qr_cli
from satisfaction.db.accounts import Role, User
from satisfaction.demo.district import seed_district1
from satisfaction.extensions import db
from satisfaction.indices.questionnaires import QuestionnaireError
from satisfaction.qrcodes.links import absolute, survey_url

seed_cli = AppGroup("seed", help="Load demonstration data.")
report_cli = AppGroup("report", help="Index reports.")
responses_cli = AppGroup("responses", help="Responses: paper batches, review, privacy.")
counts_cli = AppGroup("counts", help="The per-day counts the reports read.")
alerts_cli = AppGroup("alerts", help="Low-score alerts: rules and checks.")
rule_cli = AppGroup("rule", help="Alert rules.")
alerts_cli.add_command(rule_cli)
questionnaires_cli = AppGroup("questionnaires", help="Manage questionnaire versions.")
users_cli = AppGroup("users", help="Manage staff accounts.")
translate_cli = AppGroup("translate", help="Extract, update and compile translations.")


@seed_cli.command("demo")
def seed_demo() -> None:
    """Seed the District 1 demo (idempotent) and print where to go."""
    summary = seed_district1()
    db.session.commit()
    click.echo("District 1 demo is ready.")
    click.echo(f"  Admin:  {absolute('/admin/')}")
    click.echo(f"          e-mail {summary.admin_email}")
    if summary.admin_password:
        click.echo(f"          password {summary.admin_password}   (shown once; keep it)")
    else:
        click.echo("          password: printed on the first run "
                   "(new one: flask users password --email ...)")
    ward_code, token = next((c, t) for c, t in summary.survey_tokens.items() if c != "Q1")
    click.echo(f"  Survey: {survey_url(token)}   ({ward_code})")


@seed_cli.command("responses")
@click.option("--count", default=3000, show_default=True)
@click.option("--days", default=365, show_default=True, help="Spread over the last N days.")
@click.option("--questionnaire", default="sipas-2640", show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--if-empty", is_flag=True, help="Only when there are no responses yet.")
def seed_responses(count: int, days: int, questionnaire: str, seed: int, if_empty: bool) -> None:
    """Add synthetic responses (channel "web") so the reports have something to show."""
    from datetime import date, timedelta

    from satisfaction.db.catalogue import Questionnaire
    from satisfaction.db.responses import Response
    from satisfaction.demo.synthetic import generate

    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(Response)):
        click.echo("Responses exist: no synthetic ones added.")
        return
    found = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.code == questionnaire))
    if found is None or not found.versions:
        raise click.ClickException(f"unknown questionnaire {questionnaire}")
    end = date.today() - timedelta(days=1)
    made = generate(found.versions[-1].id, count, end - timedelta(days=days - 1), end, seed=seed)
    db.session.commit()
    click.echo(f"Added {made} synthetic responses to {questionnaire} over {days} days.")


@questionnaires_cli.command("load")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def questionnaires_load(files: tuple[Path, ...]) -> None:
    """Validate and load questionnaire data files (default: the shipped ones)."""
    try:
        for line in sync_questionnaires(list(files) or None):
            click.echo(line)
    except QuestionnaireError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--unit", "unit_code", help="Unit code (required for unit managers and "
              "index owners).")
@click.option("--name", default=None)
def users_create(email: str, role: str, unit_code: str | None, name: str | None) -> None:
    """Create a staff account and print its generated password."""
    try:
        user, password = create_user(email, role, unit_code, name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.email} ({role}{', ' + unit_code if unit_code else ''}).")
    click.echo(f"Password: {password}")


@users_cli.command("token")
@click.option("--email", required=True)
def users_token(email: str) -> None:
    """Issue a new API token for a user and print it (shown once)."""
    from satisfaction.accounts.tokens import issue_token
    from satisfaction.db.accounts import AuditEntry

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    token = issue_token(user)
    db.session.add(AuditEntry(action="users.token", subject=user.email))
    db.session.commit()
    click.echo(token)


@report_cli.command("export")
@click.option("--index", "index_code", required=True)
@click.option("--unit", "unit_code", required=True)
@click.option("--from", "start", help="YYYY-MM-DD")
@click.option("--to", "end", help="YYYY-MM-DD")
@click.option("--period", help="YYYY, YYYY-Qn or YYYY-MM (instead of --from/--to)")
@click.option("--questionnaire", default=None)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def report_export(index_code, unit_code, start, end, period, questionnaire, fmt, out) -> None:
    """Write an index report for a unit and a period to an XLSX or CSV file."""
    from werkzeug.exceptions import HTTPException

    from satisfaction.catalogue.lookup import UnknownQuestionnaire
    from satisfaction.indices import periods
    from satisfaction.reporting import exports
    from satisfaction.reporting.reports import unit_report

    try:
        chosen = periods.parse(period, start, end)
        report = unit_report(SYSTEM_SCOPE, index_code, unit_code, chosen, questionnaire,
                             with_comments=False)
    except periods.PeriodError as exc:
        raise click.ClickException(f"bad period: {exc}") from exc
    except UnknownQuestionnaire as exc:
        raise click.ClickException(str(exc)) from exc
    except HTTPException as exc:
        raise click.ClickException(f"unknown index {index_code} or unit {unit_code}") from exc
    if fmt == "xlsx":
        out.write_bytes(exports.report_xlsx(report))
    else:
        out.write_text(exports.report_csv(report), encoding="utf-8")
    value = "no data" if report.result.value is None else f"{report.result.value:.2f}"
    click.echo(f"{report.index.code} {report.unit.code} {report.period.label}: {value} "
               f"({report.result.responses} responses) -> {out}")


def run_import(file: Path, skip_bad: bool, read_import):
    """The shared end of a CSV import: the file refused as a whole, per-row problems on
    stderr, all-or-nothing unless ``skip_bad``; commits and returns the result."""
    from satisfaction.intake.imports import ImportRefused

    try:
        result = read_import(file.read_bytes())
    except ImportRefused as exc:
        db.session.rollback()
        raise click.ClickException(f"{file.name}: {exc}; nothing was stored") from exc
    for error in result.errors:
        click.echo(f"line {error.line}: {error.problem} {error.detail}".rstrip(), err=True)
    if result.errors and not skip_bad:
        db.session.rollback()
        raise click.ClickException(
            f"{len(result.errors)} problems in {result.rows} rows; nothing was stored "
            "(fix them, or use --skip-bad)"
        )
    db.session.commit()
    return result


@responses_cli.command("import")
@click.option("--questionnaire", required=True)
@click.option("--skip-bad", is_flag=True, help="Store the good rows even if some are bad.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def responses_import(questionnaire: str, skip_bad: bool, file: Path) -> None:
    """Enter a CSV batch of paper forms (channel "paper")."""
    from satisfaction.intake.paper import import_paper_forms

    result = run_import(file, skip_bad, lambda data: import_paper_forms(
        questionnaire, data, SYSTEM_SCOPE, skip_bad=skip_bad))
    click.echo(f"{result.stored} of {result.rows} forms stored.")


@responses_cli.command("forget-clients")
@click.option("--days", type=int, default=None,
              help="Retention in days (default: CLIENT_HASH_RETENTION_DAYS).")
def responses_forget_clients(days: int | None) -> None:
    """Clear the client and network hashes older than the retention period (run daily)."""
    from flask import current_app

    from satisfaction.intake.quarantine import forget_client_hashes

    days = current_app.config["CLIENT_HASH_RETENTION_DAYS"] if days is None else days
    n = forget_client_hashes(days)
    db.session.commit()
    click.echo(f"Cleared the client hashes of {n} responses older than {days} days.")


@responses_cli.command("review")
@click.argument("response_id", type=int)
@click.option("--release", "decision", flag_value="release", help="Count it in the indices.")
@click.option("--reject", "decision", flag_value="reject", help="Keep it, never count it.")
@click.option("--reason", required=True)
@click.option("--by", "email", help="The reviewer's e-mail, for the audit log.")
def responses_review(response_id: int, decision: str | None, reason: str,
                     email: str | None) -> None:
    """Release or reject a quarantined response."""
    from satisfaction.intake.quarantine import ReviewError, review

    if decision is None:
        raise click.UsageError("say --release or --reject")
    user_id = None
    if email:
        user_id = db.session.scalar(sa.select(User.id).where(User.email == email.lower()))
        if user_id is None:
            raise click.ClickException(f"no user {email}")
    try:
        outcome = review(response_id, decision, reason, scope=SYSTEM_SCOPE, user_id=user_id)
    except LookupError:
        raise click.ClickException(f"no response {response_id}") from None
    except ReviewError as exc:
        raise click.ClickException(f"response {response_id}: {exc}") from None
    db.session.commit()
    click.echo(f"Response {response_id} is now {outcome.status}.")


@counts_cli.command("rebuild")
def counts_rebuild() -> None:
    """Recompute the per-day counts from the stored responses."""
    from satisfaction.counts.updates import rebuild

    n = rebuild()
    db.session.commit()
    click.echo(f"Counted {n} responses.")


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
    from satisfaction.alerts.rules import RuleError, add_rule

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
    from satisfaction.db.alerts import AlertRule

    for rule in db.session.scalars(sa.select(AlertRule).order_by(AlertRule.id)):
        level = rule.level + (" " + rule.code if rule.code else "")
        click.echo(f"{rule.id}\t{rule.index.code}\t{level}"
                   f"\ttarget {rule.target}%\twindow {rule.window_label}\tmin-n {rule.min_n}"
                   f"\trate {rule.false_flag_rate}\t{'active' if rule.is_active else 'off'}")


@rule_cli.command("remove")
@click.argument("rule_id", type=int)
def rule_remove(rule_id: int) -> None:
    """Switch a rule off (its alerts and their history are kept)."""
    from satisfaction.alerts.rules import switch_off
    from satisfaction.db.alerts import AlertRule

    rule = db.session.get(AlertRule, rule_id)
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
    from datetime import date

    from sqlalchemy.exc import IntegrityError

    from satisfaction.alerts.check import check
    from satisfaction.alerts.notify import SENDERS, deliver_due

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


@users_cli.command("password")
@click.option("--email", required=True)
def users_password(email: str) -> None:
    """Give a user a new random password and print it."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    password = new_password(user)
    db.session.commit()
    click.echo(f"New password for {user.email}: {password}")


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    if subprocess.run(command, cwd=PROJECT_ROOT).returncode != 0:
        raise click.ClickException("pybabel " + " ".join(args) + " failed")


POT = "translations/messages.pot"


def _extract() -> None:
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
             "--omit-header", "-o", POT, ".")


@translate_cli.command("extract")
def translate_extract() -> None:
    """Extract messages from the code and templates into translations/messages.pot."""
    _extract()


@translate_cli.command("update")
def translate_update() -> None:
    """Extract, then merge new messages into every language's catalog."""
    _extract()
    _pybabel("update", "-i", POT, "-d", "translations", "--no-fuzzy-matching", "--ignore-obsolete",
             "--width", "100")


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogs for use by the app."""
    _pybabel("compile", "-d", "translations", "--statistics")


def register(app: Flask) -> None:
    for group in (seed_cli, questionnaires_cli, users_cli, translate_cli, report_cli,
                  responses_cli, counts_cli, alerts_cli, qr_cli, dossiers_cli):
        app.cli.add_command(group)
