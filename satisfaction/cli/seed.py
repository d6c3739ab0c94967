"""``flask seed``: the demo (District 1 before and after the 2025 reorganisation) and
synthetic responses."""

from __future__ import annotations

from datetime import date, timedelta

import click
from flask.cli import AppGroup

from satisfaction import clock
from satisfaction.catalogue.lookup import newest_version
from satisfaction.demo.city import SURVEY_WARD, seed_city_demo
from satisfaction.demo.scale import seed_scale
from satisfaction.demo.synthetic import any_response, generate
from satisfaction.extensions import db
from satisfaction.qrcodes.links import absolute, survey_url

seed_cli = AppGroup("seed", help="Load demonstration data.")


@seed_cli.command("demo")
def seed_demo() -> None:
    """Seed the demo (idempotent) and print where to go: District 1's 10 wards until 30 June
    2025, its 4 new wards under Ho Chi Minh City from 1 July 2025."""
    summary = seed_city_demo()
    db.session.commit()
    click.echo("Demo ready: District 1's 10 wards until 30/06/2025, "
               "its 4 new wards under Ho Chi Minh City since 01/07/2025.")
    click.echo(f"  Admin:  {absolute('/admin/')}")
    click.echo(f"          e-mail {summary.admin_email}")
    if summary.admin_password:
        click.echo(f"          password {summary.admin_password}   "
                   "(shown once; to be changed at the first sign-in)")
    else:
        click.echo("          password: printed on the first run "
                   "(new one: flask users password --email ...)")
    click.echo(f"  Survey: {survey_url(summary.survey_tokens[SURVEY_WARD])}   ({SURVEY_WARD})")


@seed_cli.command("responses")
@click.option("--count", default=3000, show_default=True)
@click.option("--days", default=365, show_default=True, help="Spread over the last N days.")
@click.option("--from", "first", default=None, help="Spread from this day (YYYY-MM-DD) "
              "to yesterday instead.")
@click.option("--questionnaire", default="sipas-2640", show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--if-empty", is_flag=True, help="Only when there are no responses yet.")
def seed_responses(count: int, days: int, first: str | None, questionnaire: str, seed: int,
                   if_empty: bool) -> None:
    """Add synthetic responses (channel "web") so the reports have something to show; each
    unit gets answers only on the days it existed."""
    if if_empty and any_response():
        click.echo("Responses exist: no synthetic ones added.")
        return
    version = newest_version(questionnaire)
    if version is None:
        raise click.ClickException(f"unknown questionnaire {questionnaire}")
    end = clock.today() - timedelta(days=1)
    if first:
        try:
            start = date.fromisoformat(first)
        except ValueError as exc:
            raise click.BadParameter("a date written YYYY-MM-DD", param_hint="--from") from exc
        days = (end - start).days + 1
    made = generate(version.id, count, end - timedelta(days=days - 1), end, seed=seed)
    db.session.commit()
    click.echo(f"Added {made} synthetic responses to {questionnaire} over {days} days.")


@seed_cli.command("scale")
@click.option("--units", default=168, show_default=True,
              help="Wards and communes: 168 is a city, 3321 the country.")
@click.option("--responses", default=0, show_default=True)
@click.option("--from", "first", default="2025-01-01", show_default=True)
@click.option("--to", "last", default="2025-12-31", show_default=True)
def seed_scale_command(units: int, responses: int, first: str, last: str) -> None:
    """A synthetic deployment of that many units, for benchmarks (never beside real data)."""
    made = seed_scale(units, responses, date.fromisoformat(first), date.fromisoformat(last))
    db.session.commit()
    click.echo(f"{made} wards and communes with a counter each; {responses} responses.")
