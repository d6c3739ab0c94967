"""``flask responses``: paper batches, quarantine review, forgetting client hashes."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from satisfaction.accounts.access import SYSTEM_SCOPE
from satisfaction.accounts.users import find_user
from satisfaction.cli.common import run_import
from satisfaction.extensions import db
from satisfaction.intake.paper import import_paper_forms
from satisfaction.intake.quarantine import (
    ReviewError,
    forget_client_hashes,
    forget_comments,
    review,
)

responses_cli = AppGroup("responses", help="Responses: paper batches, review, privacy.")


@responses_cli.command("import")
@click.option("--questionnaire", required=True)
@click.option("--skip-bad", is_flag=True, help="Store the good rows even if some are bad.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def responses_import(questionnaire: str, skip_bad: bool, file: Path) -> None:
    """Enter a CSV batch of paper forms (channel "paper")."""
    result = run_import(file, skip_bad, lambda data: import_paper_forms(
        questionnaire, data, SYSTEM_SCOPE, skip_bad=skip_bad))
    click.echo(f"{result.stored} of {result.rows} forms stored.")


@responses_cli.command("forget-clients")
@click.option("--days", type=int, default=None,
              help="Retention in days (default: CLIENT_HASH_RETENTION_DAYS).")
def responses_forget_clients(days: int | None) -> None:
    """Clear the client and network hashes older than the retention period (run daily)."""
    days = current_app.config["CLIENT_HASH_RETENTION_DAYS"] if days is None else days
    n = forget_client_hashes(days)
    db.session.commit()
    click.echo(f"Cleared the client hashes of {n} responses older than {days} days.")


@responses_cli.command("forget-comments")
@click.option("--days", type=int, default=None,
              help="Retention in days (default: COMMENT_RETENTION_DAYS).")
def responses_forget_comments(days: int | None) -> None:
    """Erase the comments older than the retention period (run daily); answers stay."""
    days = current_app.config["COMMENT_RETENTION_DAYS"] if days is None else days
    n = forget_comments(days)
    db.session.commit()
    click.echo(f"Erased the comments of {n} responses older than {days} days.")


@responses_cli.command("review")
@click.argument("response_id", type=int)
@click.option("--release", "decision", flag_value="release", help="Count it in the indices.")
@click.option("--reject", "decision", flag_value="reject", help="Keep it, never count it.")
@click.option("--reason", required=True)
@click.option("--by", "email", help="The reviewer's e-mail, for the audit log.")
def responses_review(response_id: int, decision: str | None, reason: str,
                     email: str | None) -> None:
    """Release or reject a quarantined response."""
    if decision is None:
        raise click.UsageError("say --release or --reject")
    user_id = None
    if email:
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"no user {email}")
        user_id = user.id
    try:
        outcome = review(response_id, decision, reason, scope=SYSTEM_SCOPE, user_id=user_id)
    except LookupError:
        raise click.ClickException(f"no response {response_id}") from None
    except ReviewError as exc:
        raise click.ClickException(f"response {response_id}: {exc}") from None
    db.session.commit()
    click.echo(f"Response {response_id} is now {outcome.status}.")
