"""The demonstration database: Lozère communes, the Tiers-Truck at Mende, one season,
about 120 requests from :func:`tourplan.demo.build_demo_problem`, planned and published."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from tourplan.activities import ACTIVITIES
from tourplan.calendar import local_today
from tourplan.demo import build_demo_problem
from tourplan.places import read_places
from tourplan.problem import parse_time
from web.activities.models import Activity
from web.activities.operations import sync_catalogue
from web.communes.operations import import_communes
from web.core.errors import OperationError
from web.core.formats import long_date
from web.coverage.operations import prepare_outlines
from web.coverage.places import import_places
from web.extensions import db
from web.requests.models import RequestStatusChange, VisitRequest
from web.requests.operations import accept, create_request, decline
from web.seasons.models import Season
from web.seasons.operations import create_season
from web.tours.models import TourVersion, VersionVisit, Visit
from web.tours.operations import PublishResult, plan_season, publish_version
from web.vans.models import Van

DEMO_PLACES = Path(__file__).parent.parent / "coverage" / "data" / "france_services.csv"
STRUCTURES = {
    "demarches": ("mairie", "Mairie"),
    "france-services": ("mairie", "Mairie"),
    "seniors": ("CCAS", "CCAS"),
    "robots-ecole": ("école", "École publique"),
    "impression-3d": ("médiathèque", "Médiathèque"),
    "fablab": ("association", "Foyer rural"),
}
FIRST_NAMES = ("Camille", "Dominique", "Claude", "Sandrine", "Michel", "Nathalie", "Pierre", "Sylvie", "Julien",
               "Martine", "Christophe", "Isabelle", "Laurent", "Valérie", "Thierry", "Céline")
LAST_NAMES = ("Martin", "Bernard", "Roux", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine",
              "Rousseau", "Vincent", "Chevalier", "Boyer", "Gauthier", "Pons", "Malige", "Rouvière", "Brun")


def reset_database() -> None:
    """Remove seasons, requests, tours, vans and activities (communes stay: re-import updates them)."""
    for model in (VersionVisit, Visit, TourVersion, RequestStatusChange, VisitRequest, Season, Van, Activity):
        db.session.execute(delete(model))
    db.session.commit()


def load_demo(
    *,
    department: str = "48",
    weeks: int = 13,
    requests: int = 120,
    seed: int = 1,
    start: str | None = None,
    time_limit: float = 20.0,
    reset: bool = False,
    progress: Callable[[int, int, float, float], None] | None = None,
    echo: Callable[[str], None] = lambda s: None,
) -> PublishResult:
    if db.session.execute(select(Season.id).limit(1)).first() is not None:
        if not reset:
            raise OperationError("la base contient déjà des saisons : relancez avec --reset pour tout remplacer")
        reset_database()
    data = build_demo_problem(department=department, weeks=weeks, requests=requests, seed=seed, start=start)
    echo(import_communes([department]).summary())
    prepare_outlines([department])  # ready for the first coverage page
    # The France Services sites (ANCT list shipped as demo data): the coverage page is filled.
    places = read_places(DEMO_PLACES.read_text(encoding="utf-8"), DEMO_PLACES.name)
    echo(import_places(places).summary())
    db.session.commit()  # this loader is a runner: it owns its transactions (web/core/transactions.py)
    activities = {a.slug: a for a in sync_catalogue()}
    by_name = {a.name: activities[a.key] for a in ACTIVITIES}
    for v in data["vans"]:
        brk = v.get("break")
        db.session.add(
            Van(
                slug=v["id"],
                name=v["name"],
                depot_label=v["depot"].get("label", ""),
                depot_lat=v["depot"]["lat"],
                depot_lon=v["depot"]["lon"],
                shift_start=parse_time(v["shift"]["start"]),
                shift_end=parse_time(v["shift"]["end"]),
                break_earliest=parse_time(brk["earliest"]) if brk else 12 * 60,
                break_latest=parse_time(brk["latest"]) if brk else 14 * 60,
                break_minutes=brk["minutes"] if brk else 0,
                max_drive_minutes=v.get("max_drive_minutes"),
                equipment=list(v.get("equipment", [])),
                days_off=list(v.get("unavailable_dates", [])),
            )
        )
    first = date.fromisoformat(data["horizon"]["start"])
    last = date.fromisoformat(data["horizon"]["end"])
    season = create_season(
        "demo",
        f"Tournée du {long_date(first, weekday=False)} au {long_date(last, weekday=False)}",
        first,
        last,
        weekdays=data["horizon"]["weekdays"],
        department=department,
        timezone=data["timezone"],
        lock_slack_minutes=30,
    )
    rng = random.Random(f"tourplan-web-demo:{seed}")
    made = [_request(season, raw, by_name, rng) for raw in data["requests"]]
    db.session.flush()
    # An inbox that looks real: most accepted, a few still to decide, a few declined.
    for i, req in enumerate(made):
        if i % 40 == 7:
            decline(req, "demo@tiers-truck.example", "Le lieu proposé ne permet pas de stationner le camion.")
        elif i % 25 != 3:
            accept(req, "demo@tiers-truck.example")
    db.session.commit()
    echo(f"season {season.slug}: {first} to {last}, {len(data['vans'])} van(s), {len(made)} requests")
    today = max(local_today(), first)  # the date in France, like every other export
    version = plan_season(season, time_limit=time_limit, created_by="demo", today=today, progress=progress)
    return publish_version(version.id, by="demo@tiers-truck.example")


def _request(season: Season, raw: dict[str, Any], by_name: dict[str, Activity], rng: random.Random) -> VisitRequest:
    activity = by_name.get(raw["label"].split(" — ")[0])
    kind, structure = STRUCTURES.get(activity.slug if activity else "", ("autre", "Association"))
    hours = raw.get("hours") or {}
    req = create_request(
        season=season,
        commune=raw["commune"],
        label=raw["label"],
        activity=activity,
        structure_kind=kind,
        structure_name=structure,
        contact_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        email=f"contact-{raw['commune']}@example.org",
        phone=f"04 66 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        duration_minutes=raw["duration_minutes"],
        periods=[{"start": w["start"], "end": w["end"]} for w in raw.get("windows", [])],
        weekdays=raw.get("weekdays"),
        earliest_start=parse_time(hours["earliest_start"]) if hours.get("earliest_start") else None,
        latest_end=parse_time(hours["latest_end"]) if hours.get("latest_end") else None,
        equipment=list(raw.get("equipment", [])),
        expected_attendees=rng.randint(4, 16),
        priority=raw.get("priority", 1),
        occurrences=raw.get("occurrences", 1),
        min_days_between=raw.get("min_days_between", 0),
        required=raw.get("required", False),
    )
    return req
