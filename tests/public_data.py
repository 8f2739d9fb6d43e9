"""Published tours for the public-site tests, built through the real operations
(requests, draft version, ``publish_version``), never by writing visits by hand
unless a test says why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from tourplan.calendar import local_today
from web.activities.models import Activity
from web.extensions import db
from web.tours.models import TourVersion, VersionVisit, Visit
from web.tours.operations import publish_version


def next_weekday(day: date, weekday: int) -> date:
    """The first ``weekday`` (0 = Monday) on or after ``day``."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@dataclass
class Row:
    request: Any
    van: Any
    day: date
    start: int
    end: int
    occurrence: int = 0


@dataclass
class Tour:
    """A season with its published visits, and handles on what was made."""

    season: Any
    vans: dict[str, Any] = field(default_factory=dict)
    communes: dict[str, Any] = field(default_factory=dict)
    requests: dict[str, Any] = field(default_factory=dict)
    activities: dict[str, Any] = field(default_factory=dict)

    def publish(self, rows: list[Row], by: str = "test@ops") -> list[Visit]:
        """Store ``rows`` as a draft version and publish it; returns the visits of the rows."""
        number = (db.session.execute(
            select(func.max(TourVersion.number)).where(TourVersion.season_id == self.season.id)
        ).scalar() or 0) + 1
        version = TourVersion(
            season_id=self.season.id,
            number=number,
            status="draft",
            created_by=by,
            base_serial=self.season.publication_serial,
            problem_json={"horizon": {"start": self.season.start.isoformat(), "end": self.season.end.isoformat()}},
            plan_json={"routes": []},
        )
        db.session.add(version)
        for i, r in enumerate(rows):
            version.rows.append(VersionVisit(
                request_id=r.request.id, occurrence=r.occurrence, van_id=r.van.id, date=r.day,
                start=r.start, end=r.end, arrive=r.start, order=i,
            ))
        db.session.commit()
        publish_version(version.id, by=by)
        return [
            db.session.execute(
                select(Visit).where(Visit.request_id == r.request.id, Visit.occurrence == r.occurrence)
            ).scalar_one()
            for r in rows
        ]


def activity(slug: str, **kw: Any) -> Activity:
    values: dict[str, Any] = {
        "slug": slug,
        "name": "Atelier démarches en ligne",
        "description": "Créer son compte, déclarer ses revenus.",
        "duration_minutes": 120,
        "what_to_bring": "Smartphone, identifiants, carte Vitale",
        "audience": "Tout public",
    }
    values.update(kw)
    a = Activity(**values)
    db.session.add(a)
    return a


def make_tour(make: Any, today: date | None = None) -> Tour:
    """Two communes, two vans, two activities; a season from a month ago to
    next winter, so there are past, summer and winter dates."""
    today = today or local_today()
    season = make.season("tournee", start=today - timedelta(days=40), end=date(today.year + 1, 12, 31),
                         weekdays=[1, 2, 3, 4, 5, 6])
    tour = Tour(season=season)
    tour.communes["mende"] = make.commune("48095", name="Mende", postal_codes=["48000"], lat=44.5181, lon=3.5006,
                                          townhall_address="Place Charles de Gaulle, 48000 Mende",
                                          accessibility="Accès de plain-pied, toilettes adaptées")
    tour.communes["marvejols"] = make.commune("48092", name="Marvejols", postal_codes=["48100"], lat=44.5539,
                                              lon=3.2914, townhall_address="Rue de la République, 48100 Marvejols")
    tour.vans["nord"] = make.van("nord", name="Camion Nord")
    tour.vans["sud"] = make.van("sud", name="Camion Sud", depot_lat=44.32, depot_lon=3.59)
    tour.activities["demarches"] = activity("demarches")
    tour.activities["fablab"] = activity("fablab", name="Fablab mobile", what_to_bring="", audience="Jeunes")
    db.session.flush()
    tour.requests["mende"] = make.request(season, tour.communes["mende"], label="Permanence numérique",
                                          activity=tour.activities["demarches"], occurrences=4)
    tour.requests["marvejols"] = make.request(season, tour.communes["marvejols"], label="Fablab à l'école",
                                              activity=tour.activities["fablab"], occurrences=2)
    db.session.commit()
    return tour


def published_tour(make: Any, rows: list[tuple[str, str, date, int, int, int]]) -> dict[str, Any]:
    """:func:`make_tour` with ``rows`` published, each (request, van, day, start, end, occurrence),
    the request and the van by their names in the tour ("mende"/"marvejols", "nord"/"sud").
    Returns the tour, its :class:`Row` list (to publish again with changes) and the visits' ids."""
    tour = make_tour(make)
    built = [Row(tour.requests[r], tour.vans[v], day, start, end, n) for r, v, day, start, end, n in rows]
    visits = tour.publish(built)
    return {"tour": tour, "rows": built, "ids": [v.id for v in visits]}
