"""A small territory whose coverage figures are worked out by hand in the tests.

Three communes on the meridian 3° E, one France services place at 44.1° N:

- A (44.0° N, 100 inhabitants), 0.1° of latitude from the place: 11.12 km; visited on
  5 March 2027 (held) and due on 20 March (planned) in the season;
- B (44.5° N, 10,000 inhabitants), 0.4° away: 44.48 km; never visited;
- C (44.1° N, population unknown), the place's own commune: 0 km; visited on
  16 September 2026 in an earlier season, 180 days before "today".

Today is 15 March 2027; the season runs over March 2027.
"""

from __future__ import annotations

from datetime import date
from typing import Any

TODAY = date(2027, 3, 15)


def visit(make: Any, season: Any, commune: Any, van: Any, day: date, occurrence: int = 0) -> Any:
    from web.tours.models import Visit

    req = make.request(season, commune, status="planned")
    v = Visit(request_id=req.id, occurrence=occurrence, season_id=season.id, van_id=van.id, date=day,
              start=600, end=660, lat=commune.lat, lon=commune.lon)
    make.db.session.add(v)
    make.db.session.flush()
    return v


def small_territory(make: Any) -> dict[str, Any]:
    from web.coverage.models import FixedPlace
    from web.extensions import db

    van = make.van()
    old = make.season("s2026", start=date(2026, 9, 1), end=date(2026, 9, 30))
    season = make.season("s1", start=date(2027, 3, 1), end=date(2027, 3, 31))
    a = make.commune("48001", name="Aubrac", lat=44.0, lon=3.0, population=100, email="mairie@aubrac.example")
    b = make.commune("48002", name="Bagnols", lat=44.5, lon=3.0, population=10000, email="mairie@bagnols.example")
    c = make.commune("48003", name="Chanac", lat=44.1, lon=3.0, population=None, email="")
    db.session.add(FixedPlace(source="france-services", source_id="1", name="France services Chanac",
                              commune_insee="48003", lat=44.1, lon=3.0))
    db.session.flush()
    held = visit(make, season, a, van, date(2027, 3, 5))
    visit(make, season, a, van, date(2027, 3, 20))
    visit(make, old, c, van, date(2026, 9, 16))
    db.session.commit()
    return {"season": season, "old": old, "a": a, "b": b, "c": c, "van": van, "held": held}


def desk_session(client: Any, make: Any, monkeypatch: Any, *modules: Any) -> dict[str, Any]:
    """The territory, an operator logged in on ``client``, and "today" set to :data:`TODAY`
    in each of ``modules`` (those that read ``local_today``)."""
    from tests.conftest import AuthActions
    from tests.desk_helpers import operator

    for module in modules:
        monkeypatch.setattr(module, "local_today", lambda: TODAY)
    territory = small_territory(make)
    operator()
    AuthActions(client).login()
    return territory
