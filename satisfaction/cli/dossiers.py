"""``flask dossiers import``: the dossier list from the one-stop system, as on the admin page."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from satisfaction.accounts.access import SYSTEM_SCOPE
from satisfaction.cli.common import run_import
from satisfaction.intake.dossiers import import_dossiers

dossiers_cli = AppGroup("dossiers", help="The dossier list imported from the one-stop system.")


@dossiers_cli.command("import")
@click.option("--skip-bad", is_flag=True, help="Store the good rows even if some are bad.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def dossiers_import(skip_bad: bool, file: Path) -> None:
    """Import a CSV dossier list (code,unit,procedure_field,received_on,returned_on) and
    mark the responses whose dossier code it contains as verified."""
    result = run_import(file, skip_bad, lambda data: import_dossiers(
        data, SYSTEM_SCOPE, skip_bad=skip_bad))
    click.echo(f"{result.stored} of {result.rows} dossiers stored; "
               f"{result.rejected} rows rejected; "
               f"{result.verified} responses verified.")
    if result.errors and not result.stored:
        # --skip-bad with nothing good: the run stored nothing, a script must notice.
        raise SystemExit(1)
