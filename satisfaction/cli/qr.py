"""``flask qr``: print the posters of the counters' codes, and rotate a code, from the
command line. The same services as the admin pages; the CLI runs as the system and sees
every unit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from satisfaction.extensions import db
from satisfaction.qrcodes import posters
from satisfaction.qrcodes.codes import QrCodeError, find_code, printable_codes, rotate_code
from satisfaction.qrcodes.links import base_url, display_short_code, survey_url
from satisfaction.units.tree import units_by_code

qr_cli = AppGroup("qr", help="QR codes of the counters: posters and rotation.")


@qr_cli.command("export")
@click.option("--unit", "unit_codes", multiple=True, metavar="CODE",
              help="Unit code; repeat for several units.")
@click.option("--all", "all_units", is_flag=True, help="Every unit.")
@click.option("--format", "formats", multiple=True, default=("pdf",), show_default=True,
              type=click.Choice(posters.FORMATS), help="Repeat for several formats.")
@click.option("--size", "sizes", multiple=True, default=("A4",), show_default=True,
              type=click.Choice(list(posters.PAGE_SIZES)), help="Repeat for several sizes.")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path), help="Directory to write to.")
@click.option("--locale", default="vi", show_default=True, type=click.Choice(["vi", "en"]),
              help="Language of the posters.")
def export(unit_codes: tuple[str, ...], all_units: bool, formats: tuple[str, ...],
           sizes: tuple[str, ...], out_dir: Path, locale: str) -> None:
    """Write a poster of each current printed code of the units (kiosk codes have none).

    The survey address on the posters comes from BASE_URL: set it to the public address.
    """
    if all_units == bool(unit_codes):
        raise click.UsageError("give --unit CODE (one or more) or --all")
    unit_ids = None
    if unit_codes:
        units = units_by_code(unit_codes)
        unknown = [code for code in unit_codes if code not in units]
        if unknown:
            raise click.ClickException(f"unknown unit {', '.join(unknown)}")
        unit_ids = [unit.id for unit in units.values()]
    codes = printable_codes(unit_ids)
    if not codes:
        raise click.ClickException("no current printed QR code in these units")
    if not current_app.config.get("BASE_URL"):
        # Outside a request the address falls back to the development default.
        click.echo(f"Warning: BASE_URL is not set; the posters point to {base_url()}.",
                   err=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, _fmt, data in posters.named_posters(codes, formats, sizes, locale=locale):
        (out_dir / name).write_bytes(data)
        written += 1
    click.echo(f"Wrote {written} poster(s) of {len(codes)} code(s) to {out_dir}.")


@qr_cli.command("rotate")
@click.option("--token", "code", required=True,
              help="The code's token (the end of its survey address) or its short code.")
@click.option("--grace-days", default=14, show_default=True,
              type=click.IntRange(0, 90), help="Days the old code keeps working.")
def rotate(code: str, grace_days: int) -> None:
    """Replace a code by a new one; print the new survey address (print new posters)."""
    token = find_code(code)
    if token is None:
        raise click.ClickException(f"unknown code {code}")
    try:
        successor = rotate_code(token, timedelta(days=grace_days))
    except QrCodeError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"New code: {survey_url(successor.token)}")
    if successor.short_code:
        click.echo(f"Short code: {display_short_code(successor.short_code)}")
    click.echo(f"The old code works until {token.expires_at.isoformat()}.")
