"""``flask users``: staff accounts, passwords and API tokens."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from satisfaction.accounts.tokens import issue_token
from satisfaction.accounts.users import UserError, create_user, find_user, new_password
from satisfaction.db.accounts import AuditEntry, Role
from satisfaction.extensions import db

users_cli = AppGroup("users", help="Manage staff accounts.")


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
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    token = issue_token(user)
    db.session.add(AuditEntry(action="users.token", subject=user.email))
    db.session.commit()
    click.echo(token)


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
