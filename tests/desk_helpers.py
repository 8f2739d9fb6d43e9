"""Small seasons and a logged-in operator for the planning desk, jobs and API tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.testing import FlaskClient

PASSWORD = "correct horse battery"


def operator(email: str = "ops@example.fr") -> Any:
    from web.auth.operations import create_operator
    from web.extensions import db

    op = create_operator(email, PASSWORD)
    db.session.commit()
    return op


def login(client: FlaskClient, email: str = "ops@example.fr") -> None:
    r = client.post("/operateur/connexion", data={"email": email, "password": PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]


def small_season(make: Any, slug: str = "s1") -> dict[str, Any]:
    """One van at Mende, a season in March 2027 (future), three communes, four requests:
    a plain one, one that only receives on Tuesdays, a recurring one, one needing equipment
    no van carries (always left out). Committed."""
    from web.extensions import db

    van = make.van("truck-1", break_earliest=12 * 60, break_latest=14 * 60, break_minutes=45)
    season = make.season(slug, start=date(2027, 3, 1), end=date(2027, 3, 12))
    c1 = make.commune("48001", name="Altier", lat=44.4733, lon=3.8586)
    c2 = make.commune("48002", name="Balsièges", lat=44.4817, lon=3.4567)
    c3 = make.commune("48003", name="Chanac", lat=44.4667, lon=3.3433)
    plain = make.request(season, c1, label="Aide aux démarches — Altier", duration_minutes=120, priority=3,
                         earliest_start=9 * 60, latest_end=17 * 60, contact_name="Mme Martin",
                         phone="04 66 00 00 01", structure_name="Mairie d'Altier")
    tuesday = make.request(season, c2, label="Initiation seniors — Balsièges", duration_minutes=90, priority=2,
                           weekdays=[2])
    recurring = make.request(season, c3, label="Permanence — Chanac", duration_minutes=60, priority=1,
                             occurrences=2, min_days_between=3)
    laser = make.request(season, c1, label="Découpe laser — Altier", duration_minutes=60, priority=1,
                         equipment=["laser-cutter"])
    db.session.commit()
    return {"van": van, "season": season, "plain": plain, "tuesday": tuesday, "recurring": recurring,
            "laser": laser}


def draft(season: Any, time_limit: float = 1.0) -> Any:
    """A draft version planned by the real optimiser (in process, no job)."""
    from web.tours.operations import plan_season

    return plan_season(season, time_limit=time_limit, created_by="test@ops", today=date(2026, 11, 1))


def a_monday(d: date = date(2027, 3, 1)) -> date:
    return d
