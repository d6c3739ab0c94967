"""``flask translate``: extract, update and compile the message catalogues (pybabel)."""

from __future__ import annotations

import subprocess
import sys

import click
from flask.cli import AppGroup

from satisfaction.config import PROJECT_ROOT

translate_cli = AppGroup("translate", help="Extract, update and compile translations.")


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
    _pybabel("update", "-i", POT, "-d", "translations", "--no-fuzzy-matching", "--ignore-obsolete",
             "--width", "100")


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogs for use by the app."""
    _pybabel("compile", "-d", "translations", "--statistics")
