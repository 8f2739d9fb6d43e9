"""``flask tourplan plan | publish | versions | export-problem | import-plan``."""

from __future__ import annotations

import json
from datetime import date

import click
from sqlalchemy import select

from tourplan.cli import write_json
from tourplan.plan import load_plan, plan_summary
from tourplan.problem import read_json_file
from tourplan.progress import SearchProgress
from web.core.cli import fail_cleanly, tourplan_cli
from web.core.errors import NotFoundError, OperationError
from web.extensions import db
from web.seasons.operations import find_season
from web.tours.models import TourVersion
from web.tours.operations import export_problem, import_plan, plan_season, publish_version


def _today(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OperationError(f"expected a date YYYY-MM-DD, got {text!r}", "--today") from None


@tourplan_cli.command("plan")
@click.option("--season", "slug", required=True, help="Season identifier.")
@click.option("--time-limit", type=click.FloatRange(0.1, 3600), default=10.0, show_default=True, metavar="S")
@click.option("--publish", is_flag=True, help="Publish the new version at once.")
@click.option("--by", default="cli", show_default=True, help="Who plans (kept with the version).")
@click.option("--today", default=None, metavar="YYYY-MM-DD", help="Plan from this day (default: today).")
@fail_cleanly
def plan_command(slug: str, time_limit: float, publish: bool, by: str, today: str | None) -> None:
    """Plan a season's accepted requests as a new draft version.

    The same export as the planning desk: the operator's locks and the freeze horizon hold,
    other published visits move only when it pays (or when a change forces them to)."""
    season = find_season(slug)
    with SearchProgress(0, quiet=False) as progress:
        version = plan_season(season, time_limit=time_limit, created_by=by, today=_today(today), progress=progress)
    click.echo(f"draft version #{version.number} of {slug}")
    click.echo(plan_summary(_plan_of(version)))
    if publish:
        click.echo(publish_version(version.id, by=by).summary())


def _plan_of(version: TourVersion):  # noqa: ANN202
    from tourplan.plan import plan_from_json

    return plan_from_json(version.plan_json)


def _version(slug: str, number: int) -> TourVersion:
    season = find_season(slug)
    version = db.session.execute(
        select(TourVersion).where(TourVersion.season_id == season.id, TourVersion.number == number)
    ).scalar_one_or_none()
    if version is None:
        raise NotFoundError(f"season {slug} has no version #{number}", "--version")
    return version


@tourplan_cli.command("publish")
@click.option("--season", "slug", required=True)
@click.option("--version", "number", type=int, required=True, help="Version number within the season.")
@click.option("--by", default="cli", show_default=True)
@click.option("--force", is_flag=True, help="Publish even if another version was published since it was planned.")
@fail_cleanly
def publish_command(slug: str, number: int, by: str, force: bool) -> None:
    """Make a draft version the published tour."""
    version = _version(slug, number)
    expected = version.season.publication_serial if force else None
    click.echo(publish_version(version.id, by=by, expected_serial=expected).summary())


@tourplan_cli.command("versions")
@click.option("--season", "slug", required=True)
@fail_cleanly
def versions_command(slug: str) -> None:
    """List a season's tour versions."""
    season = find_season(slug)
    for v in db.session.execute(
        select(TourVersion).where(TourVersion.season_id == season.id).order_by(TourVersion.number)
    ).scalars():
        line = f"#{v.number:<3} {v.status:<10} {v.created_at:%Y-%m-%d %H:%M} {v.created_by:<12}"
        if v.status == "failed":
            line += f" {v.error}"
        else:
            line += f" served {v.served}/{v.visits}, priority {v.served_priority}/{v.total_priority}, " \
                    f"{v.distance_km:.1f} km"
        click.echo(line)


@tourplan_cli.command("export-problem")
@click.option("--season", "slug", required=True)
@click.option("-o", "--output", default="-", show_default=True)
@click.option("--today", default=None, metavar="YYYY-MM-DD")
@fail_cleanly
def export_problem_command(slug: str, output: str, today: str | None) -> None:
    """Write the season as a problem-format v2 file (history, published, locked, stability)."""
    exported = export_problem(find_season(slug), today=_today(today))
    write_json(exported.data, output)


@tourplan_cli.command("import-plan")
@click.option("--season", "slug", required=True)
@click.option("--problem", "problem_path", required=True, help="The problem file the plan solves.")
@click.argument("plan_path")
@click.option("--by", default="cli", show_default=True)
@fail_cleanly
def import_plan_command(slug: str, problem_path: str, plan_path: str, by: str) -> None:
    """Store a plan (of a problem exported from this season) as a new draft version."""
    season = find_season(slug)
    data = read_json_file(problem_path)
    plan = load_plan(plan_path)
    if not isinstance(data, dict):
        raise OperationError("expected a problem object", problem_path)
    version = import_plan(season.id, data, plan, created_by=by, base_serial=season.publication_serial)
    db.session.commit()
    click.echo(f"draft version #{version.number} of {slug}: {json.dumps(version.served)} visit(s) served")
