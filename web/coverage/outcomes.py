"""What a visit achieved (recorded by the operator after it) and the season report for funders.
Operations: nothing is committed here, the view does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from web.core.errors import OperationError
from web.coverage.models import VisitOutcome
from web.desk.operations import CO2_KG_PER_KM
from web.extensions import db
from web.requests.forms import clean_text
from web.requests.models import VisitRequest
from web.seasons.models import Season
from web.tours.models import TourVersion, Visit

#: Themes of a visit: key -> French label (the report and the CSV use the keys).
THEMES = {
    "demarches": "Démarches en ligne",
    "sante": "Santé",
    "emploi": "Emploi",
    "impression3d": "Impression 3D",
    "ecole": "École",
    "autre": "Autre",
}
MAX_PEOPLE = 10000


def held_visits(season: Season, today: date) -> list[Visit]:
    """The season's published visits already held (before today), most recent first."""
    return list(db.session.execute(
        select(Visit).where(Visit.season_id == season.id, Visit.status == "scheduled", Visit.date < today)
        .order_by(Visit.date.desc(), Visit.start)).scalars())


def outcomes_of(visits: list[Visit]) -> dict[int, VisitOutcome]:
    ids = [v.id for v in visits]
    if not ids:
        return {}
    rows = db.session.execute(select(VisitOutcome).where(VisitOutcome.visit_id.in_(ids))).scalars()
    return {o.visit_id: o for o in rows}


def record_outcome(visit: Visit, people: int | None, themes: dict[str, int | None], note: str, by: str,
                   today: date) -> VisitOutcome:
    """Store (or replace) what ``visit`` achieved; OperationError(message, field) for a value
    that cannot be right (nothing stored then)."""
    if visit.status != "scheduled" or visit.date >= today:
        raise OperationError("le bilan se saisit après la visite", "people")
    if people is None or not 0 <= people <= MAX_PEOPLE:
        raise OperationError(f"indiquez le nombre de personnes venues (0 à {MAX_PEOPLE})", "people")
    counts: dict[str, int] = {}
    for key, value in themes.items():
        if key not in THEMES:
            raise OperationError(f"thème inconnu : {key}", "people")
        if value is None or value == 0:
            continue
        if not 0 < value <= people:
            raise OperationError(f"{THEMES[key]} : entre 0 et le nombre de personnes venues ({people})", key)
        counts[key] = value
    outcome = db.session.get(VisitOutcome, visit.id)
    if outcome is None:
        outcome = VisitOutcome(visit_id=visit.id)
        db.session.add(outcome)
    outcome.people, outcome.themes = people, counts
    outcome.note, outcome.recorded_by = clean_text(note or "", multiline=True)[:5000], by
    db.session.flush()
    return outcome


@dataclass(frozen=True)
class SeasonReport:
    season: Season
    visits_held: int
    visits_recorded: int
    communes_reached: int
    communes_total: int
    people: int
    people_by_theme: dict[str, int]
    minutes_on_site: int
    km: float
    co2_kg: float
    previous: Season | None
    previous_communes_reached: int | None
    never_before: int = 0  # communes reached this season that no earlier visit had reached
    notes: list[tuple[Visit, str]] = field(default_factory=list)

    def rows(self) -> list[tuple[str, Any]]:
        """The report as (label, value) lines: the CSV and the printed page show the same."""
        lines: list[tuple[str, Any]] = [
            ("Visites tenues", self.visits_held),
            ("Visites dont le bilan est saisi", self.visits_recorded),
            ("Communes atteintes", self.communes_reached),
            ("Communes du territoire", self.communes_total),
            ("Communes atteintes pour la première fois", self.never_before),
            ("Personnes aidées", self.people),
        ]
        lines += [(f"Personnes aidées : {label}", self.people_by_theme.get(k, 0)) for k, label in THEMES.items()]
        lines += [
            ("Heures sur place", round(self.minutes_on_site / 60, 1)),
            ("Kilomètres parcourus (tournée publiée, jours passés)", round(self.km, 1)),
            (f"CO₂ émis, kg ({CO2_KG_PER_KM:g} kg par km)", round(self.co2_kg, 1)),
        ]
        if self.previous is not None:
            lines.append((f"Communes atteintes la saison précédente ({self.previous.name})",
                          self.previous_communes_reached))
        return lines


def _km_driven(season: Season, today: date) -> float:
    """Km of the published tour's van-days already past (what the van really drove, as planned)."""
    version = db.session.execute(select(TourVersion).where(TourVersion.season_id == season.id,
                                                           TourVersion.status == "published")).scalar_one_or_none()
    if version is None or not version.plan_json:
        return 0.0
    return sum(float(r.get("distance_km") or 0) for r in version.plan_json.get("routes", [])
               if date.fromisoformat(r["date"]) < today)


def _communes_reached(season_id: int, before: date) -> set[str]:
    return set(db.session.execute(
        select(VisitRequest.commune_insee).join(Visit, Visit.request_id == VisitRequest.id)
        .where(Visit.season_id == season_id, Visit.status == "scheduled", Visit.date < before)).scalars())


def season_report(season: Season, today: date, communes_total: int) -> SeasonReport:
    visits = held_visits(season, today)
    outcomes = outcomes_of(visits)
    by_theme = dict.fromkeys(THEMES, 0)
    for o in outcomes.values():
        for k, n in (o.themes or {}).items():
            by_theme[k] = by_theme.get(k, 0) + int(n)
    reached = _communes_reached(season.id, today)
    earlier = set(db.session.execute(
        select(VisitRequest.commune_insee).join(Visit, Visit.request_id == VisitRequest.id)
        .where(Visit.status == "scheduled", Visit.date < season.start)).scalars())
    previous = db.session.execute(select(Season).where(Season.start < season.start)
                                  .order_by(Season.start.desc()).limit(1)).scalar_one_or_none()
    km = _km_driven(season, today)
    return SeasonReport(
        season=season, visits_held=len(visits), visits_recorded=len(outcomes), communes_reached=len(reached),
        communes_total=communes_total, people=sum(o.people for o in outcomes.values()), people_by_theme=by_theme,
        minutes_on_site=sum(v.end - v.start for v in visits), km=km, co2_kg=km * CO2_KG_PER_KM, previous=previous,
        previous_communes_reached=len(_communes_reached(previous.id, today)) if previous else None,
        never_before=len(reached - earlier),
        notes=[(v, outcomes[v.id].note) for v in visits if v.id in outcomes and outcomes[v.id].note],
    )
