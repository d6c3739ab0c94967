"""``flask users``: staff accounts, passwords and API tokens."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from satisfaction.accounts.tokens import (
    issue_token,
    revoke,
    revoke_all,
    token_state,
    tokens_of,
)
from satisfaction.accounts.users import (
    UserError,
    create_user,
    find_user,
    list_users,
    new_password,
    set_active,
    set_role,
)
from satisfaction.db.accounts import ApiToken, AuditEntry, Role, User
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


def _user(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    return user


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


@users_cli.command("list")
def users_list() -> None:
    """Every account: e-mail, role, unit, state, last sign-in."""
    for user in list_users():
        state = "active" if user.is_active else "disabled"
        if user.must_change_password:
            state += ", must change password"
        click.echo(f"{user.email}\t{user.role}\t{user.unit.code if user.unit else '-'}\t"
                   f"{state}\tlast sign-in {_when(user.last_login_at)}")


@users_cli.command("disable")
@click.option("--email", required=True)
def users_disable(email: str) -> None:
    """Disable an account: its sessions end and its API tokens stop at once."""
    user = _user(email)
    set_active(user, False)
    db.session.commit()
    click.echo(f"Disabled {user.email}.")


@users_cli.command("enable")
@click.option("--email", required=True)
def users_enable(email: str) -> None:
    """Enable a disabled account again."""
    user = _user(email)
    set_active(user, True)
    db.session.commit()
    click.echo(f"Enabled {user.email}.")


@users_cli.command("role")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--unit", "unit_code", help="Unit code (required for unit managers and "
              "index owners).")
def users_role(email: str, role: str, unit_code: str | None) -> None:
    """Give an account a new role (and unit); its sessions end."""
    user = _user(email)
    try:
        set_role(user, role, unit_code)
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{user.email} is now {role}{', ' + unit_code if unit_code else ''}.")


@users_cli.command("token")
@click.option("--email", required=True)
@click.option("--days", type=click.IntRange(1, 3650), default=None,
              help="How long the token is valid (default API_TOKEN_DAYS, 90).")
@click.option("--label", default="", help="What the token is for.")
def users_token(email: str, days: int | None, label: str) -> None:
    """Issue a new API token for a user and print it (shown once)."""
    user = _user(email)
    row, token = issue_token(user, days, label)
    db.session.add(AuditEntry(action="users.token", subject=user.email,
                              details={"token": row.id, "days": days}))
    db.session.commit()
    click.echo(token)


@users_cli.command("tokens")
@click.option("--email", required=True)
def users_tokens(email: str) -> None:
    """A user's API tokens: number, label, issued, expires, last used, state."""
    user = _user(email)
    rows = tokens_of(user)
    if not rows:
        click.echo(f"{user.email} has no API tokens.")
    for row in rows:
        click.echo(f"#{row.id}\t{row.label or '-'}\tissued {_when(row.created_at)}\t"
                   f"expires {_when(row.expires_at)}\tlast used {_when(row.last_used_at)}\t"
                   f"{token_state(row)}")


@users_cli.command("revoke-token")
@click.option("--id", "token_id", type=int, help="The token's number (flask users tokens).")
@click.option("--email", help="With --all: every token of this user.")
@click.option("--all", "every", is_flag=True, help="Revoke every token of --email.")
def users_revoke_token(token_id: int | None, email: str | None, every: bool) -> None:
    """Revoke one API token (--id N) or all of a user's (--email E --all); they stop at once."""
    if token_id is not None and not every:
        row = db.session.get(ApiToken, token_id)
        if row is None:
            raise click.ClickException(f"no API token #{token_id}")
        count, subject, which = revoke([row]), row.user.email, [row.id]
    elif every and email and token_id is None:
        user = _user(email)
        count, subject, which = revoke_all(user), user.email, "all"
    else:
        raise click.UsageError("give --id N, or --email E --all")
    db.session.add(AuditEntry(action="users.revoke_token", subject=subject,
                              details={"tokens": which, "revoked": count}))
    db.session.commit()
    click.echo(f"Revoked {count} token(s) of {subject}.")


@users_cli.command("password")
@click.option("--email", required=True)
def users_password(email: str) -> None:
    """Give a user a new random password and print it; it must be changed at the next
    sign-in."""
    user = _user(email)
    password = new_password(user)
    db.session.commit()
    click.echo(f"New password for {user.email}: {password}")
