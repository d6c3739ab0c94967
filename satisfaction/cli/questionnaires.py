"""``flask questionnaires``: validate and load questionnaire data files."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from satisfaction.catalogue.loading import sync_questionnaires
from satisfaction.extensions import db
from satisfaction.indices.questionnaires import QuestionnaireError

questionnaires_cli = AppGroup("questionnaires", help="Manage questionnaire versions.")


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
