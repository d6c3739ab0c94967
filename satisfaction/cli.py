"""Command-line tools: ``flask seed``, ``flask questionnaires``, ``flask users``,
``flask translate``. They call the same service functions as the views."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup
from werkzeug.security import generate_password_hash

from .app import PROJECT_ROOT
from .extensions import db
from .links import absolute, survey_url
from .models import User
from .questionnaires import QuestionnaireError
from .seed import seed_district1, sync_questionnaires

seed_cli = AppGroup("seed", help="Load demonstration data.")
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


@users_cli.command("password")
@click.option("--email", required=True)
def users_password(email: str) -> None:
    """Give a user a new random password and print it."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    password = secrets.token_urlsafe(12)
    user.password_hash = generate_password_hash(password)
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
    _pybabel("update", "-i", POT, "-d", "translations", "--no-fuzzy-matching",
             "--width", "100")


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogs for use by the app."""
    _pybabel("compile", "-d", "translations", "--statistics")


def register(app: Flask) -> None:
    for group in (seed_cli, questionnaires_cli, users_cli, translate_cli):
        app.cli.add_command(group)
