"""``flask backup`` and ``flask restore``: a consistent copy of the database taken while the
app serves, and bringing it back (see docs in README.md, "Backups")."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from satisfaction.db.backups import BackupError, backup, restore


@click.command("backup")
@with_appcontext
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (SQLite: a database file; PostgreSQL: pg_dump's "
                   "custom format).")
def backup_command(out: Path) -> None:
    """Copy the database consistently while the app keeps serving."""
    try:
        backup(current_app.config["SQLALCHEMY_DATABASE_URI"], out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {out} ({out.stat().st_size:,} bytes).")


@click.command("restore")
@with_appcontext
@click.option("--from", "source", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database by a backup. Stop the app servers first."""
    if not yes:
        click.confirm("This replaces every row of the database by the backup's. Go on?",
                      abort=True)
    try:
        restore(current_app.config["SQLALCHEMY_DATABASE_URI"], source)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored from {source}.")
