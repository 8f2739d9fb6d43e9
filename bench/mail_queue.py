"""How long a publication of 300 changed visits takes to queue its messages (issue 12).

``python -m bench.mail_queue [--visits 300]``: a throw-away SQLite database (and
PostgreSQL with ``--database-url``), 300 requests with a contact address, published once,
then a second publication moving every visit (300 "changed" visits: 300 invitations, and
the residents' alerts of 30 confirmed subscribers). The second publication is timed with
the mail receivers connected, then again (on a fresh copy of the same data) with them
disconnected: the difference is the cost of queueing. Figures, not a timed test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any


def build(app: Any, visits: int) -> tuple[Any, list[Any]]:
    from tests.conftest import Make
    from web.extensions import db
    from web.mail.models import Subscription

    make = Make()
    make.van()
    season = make.season(start=date(2027, 3, 1), end=date(2027, 6, 30))
    communes = [make.commune(f"48{i:03d}", name=f"Commune {i}") for i in range(30)]
    reqs = [make.request(season, communes[i % 30], email=f"mairie{i}@example.org", contact_name=f"Contact {i}")
            for i in range(visits)]
    for c in communes:
        db.session.add(Subscription(commune_insee=c.insee, email=f"habitant-{c.insee}@example.org",
                                    confirmed_at=datetime_now()))
    db.session.commit()
    return season, reqs


def datetime_now() -> Any:
    from web.core.types import utcnow

    return utcnow()


def where(reqs: list[Any], shift: int) -> dict[tuple[int, int], tuple[date, int]]:
    every = [date(2027, 3, 1) + timedelta(days=d) for d in range(120)]
    days = [d for d in every if d.weekday() < 5]
    out = {}
    for i, r in enumerate(reqs):
        out[(r.id, 0)] = (days[(i // 4 + shift) % len(days)], 9 * 60 + (i % 4) * 90)
    return out


def run(url: str, visits: int, with_mail: bool) -> float:
    from tests.test_db_tours import solver_placing
    from web import create_app
    from web.core import signals
    from web.extensions import db
    from web.mail import subscribers
    from web.tours.operations import plan_season, publish_version

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TOURPLAN_MAIL_WORKER": "off",
                      "TOURPLAN_BASE_URL": "http://localhost"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        season, reqs = build(app, visits)
        v1 = plan_season(season, solver=solver_placing(where(reqs, 0)), today=date(2027, 1, 4), created_by="b")
        publish_version(v1.id, by="b")
        v2 = plan_season(season, solver=solver_placing(where(reqs, 1)), today=date(2027, 1, 4), created_by="b")
        receivers = (signals.request_status_changed, subscribers.on_request_status_changed), (
            signals.visits_changed, subscribers.on_visits_changed)
        if not with_mail:
            for signal, receiver in receivers:
                signal.disconnect(receiver)
        try:
            started = time.perf_counter()
            result = publish_version(v2.id, by="b")
            elapsed = time.perf_counter() - started
        finally:
            if not with_mail:
                for signal, receiver in receivers:
                    signal.connect(receiver)
        assert result.changed == visits, result.summary()
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        without = run(url, args.visits, with_mail=False)
        with_mail = run(url, args.visits, with_mail=True)
    print(f"{args.visits} changed visits: publication {without:.2f} s without mail, {with_mail:.2f} s with "
          f"queueing ({with_mail - without:+.2f} s for {args.visits} invitations and the residents' alerts)")


if __name__ == "__main__":
    main()
