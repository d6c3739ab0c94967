"""``flask dossiers import``: the dossier list from the one-stop system, as on the admin page."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from .extensions import db

dossiers_cli = AppGroup("dossiers", help="The dossier list imported from the one-stop system.")


@dossiers_cli.command("import")
@click.option("--skip-bad", is_flag=True, help="Store the good rows even if some are bad.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def dossiers_import(skip_bad: bool, file: Path) -> None:
    """Import a CSV dossier list (code,unit,procedure_field,received_on,returned_on) and
    mark the responses whose dossier code it contains as verified."""
    from .cli import SYSTEM_SCOPE
    from .dossiers import import_dossiers
    from .paper import ImportRefused

    try:
        result = import_dossiers(file.read_bytes(), SYSTEM_SCOPE, skip_bad=skip_bad)
    except ImportRefused as exc:
        db.session.rollback()
        raise click.ClickException(f"{file.name}: {exc}; nothing was stored") from exc
    for error in result.errors:
        click.echo(f"line {error.line}: {error.problem} {error.detail}".rstrip(), err=True)
    if result.errors and not skip_bad:
        db.session.rollback()
        raise click.ClickException(
            f"{len(result.errors)} problems in {result.rejected} of {result.rows} rows; "
            "nothing was stored "
            "(fix them, or use --skip-bad)"
        )
    db.session.commit()
    click.echo(f"{result.stored} of {result.rows} dossiers stored; "
               f"{result.rejected} rows rejected; "
               f"{result.verified} responses verified.")
    if result.errors and not result.stored:
        # --skip-bad with nothing good: the run stored nothing, a script must notice.
        raise SystemExit(1)
