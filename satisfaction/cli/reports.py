"""``flask report export``: an index report to XLSX or CSV, as the pages export it."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from werkzeug.exceptions import HTTPException

from satisfaction.accounts.access import SYSTEM_SCOPE
from satisfaction.catalogue.lookup import UnknownQuestionnaire
from satisfaction.indices import periods
from satisfaction.reporting import exports
from satisfaction.reporting.reports import unit_report

report_cli = AppGroup("report", help="Index reports.")


@report_cli.command("export")
@click.option("--index", "index_code", required=True)
@click.option("--unit", "unit_code", required=True)
@click.option("--from", "start", help="YYYY-MM-DD")
@click.option("--to", "end", help="YYYY-MM-DD")
@click.option("--period", help="YYYY, YYYY-Qn or YYYY-MM (instead of --from/--to)")
@click.option("--questionnaire", default=None)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def report_export(index_code, unit_code, start, end, period, questionnaire, fmt, out) -> None:
    """Write an index report for a unit and a period to an XLSX or CSV file."""
    try:
        chosen = periods.parse(period, start, end)
        report = unit_report(SYSTEM_SCOPE, index_code, unit_code, chosen, questionnaire,
                             with_comments=False)
    except periods.PeriodError as exc:
        raise click.ClickException(f"bad period: {exc}") from exc
    except UnknownQuestionnaire as exc:
        raise click.ClickException(str(exc)) from exc
    except HTTPException as exc:
        raise click.ClickException(f"unknown index {index_code} or unit {unit_code}") from exc
    if fmt == "xlsx":
        out.write_bytes(exports.report_xlsx(report))
    else:
        out.write_text(exports.report_csv(report), encoding="utf-8")
    value = "no data" if report.result.value is None else f"{report.result.value:.2f}"
    click.echo(f"{report.index.code} {report.unit.code} {report.period.label}: {value} "
               f"({report.result.responses} responses) -> {out}")
