"""``flask tourplan create-season``."""

from __future__ import annotations

from datetime import date

import click

from web.core.cli import fail_cleanly, tourplan_cli
from web.core.errors import OperationError
from web.extensions import db
from web.seasons.operations import create_season


def _date(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OperationError(f"expected a date YYYY-MM-DD, got {text!r}", where) from None


@tourplan_cli.command("create-season")
@click.option("--slug", required=True, help="Identifier, e.g. printemps-2027.")
@click.option("--name", default="", help="Name shown on the site.")
@click.option("--start", required=True, metavar="YYYY-MM-DD")
@click.option("--end", required=True, metavar="YYYY-MM-DD")
@click.option("--weekdays", default="1,2,3,4,5", show_default=True, help="Service days, 1 = Monday.")
@click.option("--department", default="", help="Adds Alsace-Moselle's or overseas' own public holidays.")
@click.option("--slack", "slack", type=click.IntRange(0, 600), default=30, show_default=True,
              help="Minutes a published visit may move when re-planned.")
@fail_cleanly
def create_season_command(
    slug: str, name: str, start: str, end: str, weekdays: str, department: str, slack: int
) -> None:
    """Create a season; its closed dates are the French public holidays of the horizon."""
    try:
        days = [int(x) for x in weekdays.split(",") if x.strip()]
    except ValueError:
        raise OperationError(f"expected weekdays like 1,2,3,4,5, got {weekdays!r}", "--weekdays") from None
    season = create_season(
        slug, name or slug, _date(start, "--start"), _date(end, "--end"),
        weekdays=days, department=department, lock_slack_minutes=slack,
    )
    db.session.commit()
    click.echo(f"season {season.slug}: {season.start} to {season.end}, closed {', '.join(season.closed_dates) or '-'}")
