"""``flask seed``: the District 1 demo and synthetic responses."""

from __future__ import annotations

from datetime import date, timedelta

import click
from flask.cli import AppGroup

from satisfaction.catalogue.lookup import newest_version
from satisfaction.demo.district import seed_district1
from satisfaction.demo.synthetic import any_response, generate
from satisfaction.extensions import db
from satisfaction.qrcodes.links import absolute, survey_url

seed_cli = AppGroup("seed", help="Load demonstration data.")


@seed_cli.command("demo")
def seed_demo() -> None:
    """Seed the District 1 demo (idempotent) and print where to go."""
    summary = seed_district1()
    db.session.commit()
    click.echo("District 1 demo is ready.")
    click.echo(f"  Admin:  {absolute('/admin/')}")
    click.echo(f"          e-mail {summary.admin_email}")
    if summary.admin_password:
        click.echo(f"          password {summary.admin_password}   (shown once; keep it)")
    else:
        click.echo("          password: printed on the first run "
                   "(new one: flask users password --email ...)")
    ward_code, token = next((c, t) for c, t in summary.survey_tokens.items() if c != "Q1")
    click.echo(f"  Survey: {survey_url(token)}   ({ward_code})")


@seed_cli.command("responses")
@click.option("--count", default=3000, show_default=True)
@click.option("--days", default=365, show_default=True, help="Spread over the last N days.")
@click.option("--questionnaire", default="sipas-2640", show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--if-empty", is_flag=True, help="Only when there are no responses yet.")
def seed_responses(count: int, days: int, questionnaire: str, seed: int, if_empty: bool) -> None:
    """Add synthetic responses (channel "web") so the reports have something to show."""
    if if_empty and any_response():
        click.echo("Responses exist: no synthetic ones added.")
        return
    version = newest_version(questionnaire)
    if version is None:
        raise click.ClickException(f"unknown questionnaire {questionnaire}")
    end = date.today() - timedelta(days=1)
    made = generate(version.id, count, end - timedelta(days=days - 1), end, seed=seed)
    db.session.commit()
    click.echo(f"Added {made} synthetic responses to {questionnaire} over {days} days.")
