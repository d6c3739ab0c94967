"""``flask counts rebuild``: recompute the per-day counts from the stored answers."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from satisfaction.counts.updates import rebuild
from satisfaction.extensions import db

counts_cli = AppGroup("counts", help="The per-day counts the reports read.")


@counts_cli.command("rebuild")
def counts_rebuild() -> None:
    """Recompute the per-day counts from the stored responses."""
    n = rebuild()
    db.session.commit()
    click.echo(f"Counted {n} responses.")
