"""``flask units``: the official unit list, and counters moving with a reorganisation."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from satisfaction import clock
from satisfaction.csvimport import ImportRefused
from satisfaction.extensions import db
from satisfaction.units.roster import import_units, move_to_successors

units_cli = AppGroup("units", help="The unit list: import it, apply its mergers.")


@units_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def units_import(file: Path) -> None:
    """Import a CSV unit list (code,name_vi,name_en,kind,parent,valid_from,valid_to,
    successor,predecessors,email): all of it, or nothing if any row is bad."""
    try:
        result = import_units(file.read_bytes())
    except ImportRefused as exc:
        db.session.rollback()
        raise click.ClickException(f"{file.name}: {exc}; nothing was stored") from exc
    for error in result.errors:
        where = f"line {error.line}: " if error.line else ""
        click.echo(f"{where}{error.problem} {error.detail}".rstrip(), err=True)
    if result.errors:
        db.session.rollback()
        raise click.ClickException(f"{len(result.errors)} problem(s) in {result.rows} rows; "
                                   "nothing was stored")
    db.session.commit()
    click.echo(f"{result.rows} units: {result.created} created, {result.updated} updated, "
               f"{result.unchanged} unchanged; {result.moved_counters} counter(s) moved.")
    _warn_staff_left(result.staff_to_reassign)


@units_cli.command("apply")
def units_apply() -> None:
    """Move counters, staff and index ownerships of units that have ended to their
    successors (run daily)."""
    moved = move_to_successors(clock.today())
    db.session.commit()
    click.echo(f"{moved.counters} counter(s) moved.")
    _warn_staff_left(moved.staff_left)


def _warn_staff_left(emails: list[str]) -> None:
    if emails:
        click.echo("Unit managers and index owners left on an ended unit (its successor is "
                   "not at the same level; reassign them): " + ", ".join(emails), err=True)
