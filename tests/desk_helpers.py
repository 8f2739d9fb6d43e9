"""Small seasons and an operator for the planning desk, jobs and API tests."""

from __future__ import annotations

from datetime import date
from typing import Any

PASSWORD = "correct horse battery"


def operator(email: str = "ops@example.fr") -> Any:
    from web.auth.operations import create_operator
    from web.extensions import db

    op = create_operator(email, PASSWORD)
    db.session.commit()
    return op


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


def blocked_season(make: Any) -> dict[str, Any]:
    """A draft where a left-out visit is blocked by an operator's lock: "Atelier long"
    (8 h, locked on Tuesday 02/03/2027 at 9 h 00) fills the only day "Permanence du mardi"
    accepts (that Tuesday). Everything is at the depot: no driving. Committed."""
    from tests.test_db_tours import solver_placing
    from web.desk.models import VisitPin
    from web.extensions import db
    from web.tours.operations import plan_season

    van = make.van()
    season = make.season("s1", start=date(2027, 3, 1), end=date(2027, 3, 12))
    long_ = make.request(season, make.commune(name="Grèzes"), label="Atelier long", duration_minutes=480)
    tuesday = make.request(season, make.commune(name="Balsièges"), label="Permanence du mardi",
                           duration_minutes=150, weekdays=[2],
                           periods=[{"start": "2027-03-01", "end": "2027-03-05"}])
    db.session.flush()
    db.session.add(VisitPin(season_id=season.id, request_id=long_.id, occurrence=0, kind="lock", van_id=van.id,
                            date=date(2027, 3, 2), start=9 * 60, created_by="ops"))
    db.session.commit()
    version = plan_season(season, solver=solver_placing({(long_.id, 0): (date(2027, 3, 2), 9 * 60)}),
                          today=date(2026, 11, 1), created_by="test@ops")
    return {"van": van, "season": season, "long": long_, "tuesday": tuesday, "draft": version}


def page_text(response: Any) -> str:
    """A response's HTML unescaped, its non-breaking spaces (times, dates, numbers never
    wrap) read as spaces, for assertions on what the operator reads."""
    from html import unescape

    return unescape(response.get_data(as_text=True)).replace("\xa0", " ").replace("\u202f", " ")
