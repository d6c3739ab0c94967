"""What the command groups share."""

from __future__ import annotations

from pathlib import Path

import click

from satisfaction.csvimport import ImportRefused
from satisfaction.extensions import db


def run_import(file: Path, skip_bad: bool, read_import):
    """The shared end of a CSV import: the file refused as a whole, per-row problems on
    stderr, all-or-nothing unless ``skip_bad``; commits and returns the result."""
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
