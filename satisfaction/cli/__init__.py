"""Command-line tools (``flask ...``), one module per command group. They call the same
service functions as the views; they run as the system (``accounts.access.SYSTEM_SCOPE``)."""

from __future__ import annotations

from flask import Flask

from satisfaction.cli.alerts import alerts_cli
from satisfaction.cli.backups import backup_command, restore_command
from satisfaction.cli.counts import counts_cli
from satisfaction.cli.dossiers import dossiers_cli
from satisfaction.cli.qr import qr_cli
from satisfaction.cli.questionnaires import questionnaires_cli
from satisfaction.cli.reports import report_cli
from satisfaction.cli.responses import responses_cli
from satisfaction.cli.seed import seed_cli
from satisfaction.cli.translate import translate_cli
from satisfaction.cli.units import units_cli
from satisfaction.cli.users import users_cli


def register(app: Flask) -> None:
    for group in (seed_cli, questionnaires_cli, users_cli, translate_cli, report_cli,
                  responses_cli, counts_cli, alerts_cli, qr_cli, dossiers_cli, units_cli,
                  backup_command, restore_command):
        app.cli.add_command(group)
