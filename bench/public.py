"""Public-site benchmark: server time with 2,000 published visits.

``python -m bench.public`` (run by ``make bench``).  Builds a temporary SQLite
database, publishes 2,000 visits through the real publication operation, then
times requests through Flask's test client (no network): the calendar month
and list pages, the map frame, the whole-tour feed, a commune feed and a 304
answer.  "cold" clears the public cache and the memo of serialised events
before each request (what the first visitor after a restart pays; after a
publication unchanged visits are still memoised); "warm" is every later request.  Median and
90th percentile of many repetitions.  Figures, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from bench import temporary_app

VISITS = 2000


def build(app: Any, visits: int) -> dict[str, Any]:
    """Communes, vans, activities, requests, and one published version of ``visits`` visits."""
    from web.activities.models import Activity
    from web.communes.models import Commune
    from web.extensions import db
    from web.requests.operations import change_status, create_request
    from web.seasons.operations import create_season
    from web.tours.models import TourVersion, VersionVisit
    from web.tours.operations import publish_version
    from web.vans.models import Van

    today = date.today()
    start = today - timedelta(days=60)
    season = create_season("bench", "Saison benchmark", start, start + timedelta(days=364), closed_dates=[])
    communes = [
        Commune(insee=f"48{i:03d}", name=f"Commune {i}", department="48", postal_codes=[f"48{i % 100:03d}"],
                lat=44.3 + (i % 20) * 0.02, lon=3.2 + (i // 20) * 0.03,
                townhall_address=f"{i} place de la Mairie, 48{i % 100:03d} Commune {i}")
        for i in range(1, 151)
    ]
    vans = [Van(slug=f"van-{i}", name=f"Camion {i}", depot_lat=44.52, depot_lon=3.5) for i in range(1, 4)]
    activities = [Activity(slug=f"act-{i}", name=f"Atelier {i}", what_to_bring="Smartphone") for i in range(1, 4)]
    db.session.add_all(communes + vans + activities)
    db.session.flush()
    per_request = 4
    requests = []
    for i in range(visits // per_request):
        req = create_request(season=season, commune=communes[i % len(communes)], label=f"Demande {i}",
                             activity=activities[i % 3], occurrences=per_request, duration_minutes=90)
        requests.append(req)
    db.session.flush()
    for req in requests:
        change_status(req, "accepted", "bench")
    version = TourVersion(season_id=season.id, number=1, status="draft", created_by="bench", base_serial=0,
                          problem_json={"horizon": {"start": season.start.isoformat(), "end": season.end.isoformat()}},
                          plan_json={"routes": []})
    db.session.add(version)
    n = 0
    day = start
    while n < visits:
        if day.weekday() < 5:
            for van in vans:
                for slot in range(3):  # three visits per van-day
                    if n >= visits:
                        break
                    req = requests[n // per_request]
                    version.rows.append(VersionVisit(
                        request_id=req.id, occurrence=n % per_request, van_id=van.id, date=day,
                        start=9 * 60 + slot * 150, end=10 * 60 + 30 + slot * 150, arrive=9 * 60 + slot * 150,
                        order=slot,
                    ))
                    n += 1
        day += timedelta(days=1)
    db.session.commit()
    publish_version(version.id, by="bench")
    return {"commune": communes[0].insee, "month": (today + timedelta(days=14)).strftime("%Y-%m")}


def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.9) - 1] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=VISITS)
    parser.add_argument("--repeat", type=int, default=200, help="requests per warm measurement")
    parser.add_argument("--cold-repeat", type=int, default=20, help="requests per cold measurement")
    args = parser.parse_args(argv)

    from tourplan.ical import clear_event_cache
    from web.extensions import db
    from web.public.operations import cache

    with temporary_app() as app:
        with app.app_context():
            t0 = time.perf_counter()
            info = build(app, args.visits)
            setup = time.perf_counter() - t0
            db.session.remove()
        client = app.test_client()
        feed = client.get("/calendar.ics")
        etag = feed.headers["ETag"]
        cases: list[tuple[str, str, dict[str, str]]] = [
            ("calendar, month view", f"/calendrier?mois={info['month']}", {}),
            ("calendar, list view", "/calendrier?vue=liste", {}),
            ("map frame (folium)", "/carte/cadre", {}),
            ("feed /calendar.ics", "/calendar.ics", {}),
            ("feed /communes/<insee>.ics", f"/communes/{info['commune']}.ics", {}),
            ("feed, 304 (If-None-Match)", "/calendar.ics", {"If-None-Match": etag}),
        ]
        print(f"{args.visits} published visits, SQLite; setup (schema + publication) {setup:.1f} s")
        print(f"/calendar.ics: {len(feed.data) / 1024:.0f} KiB, "
              f"{feed.data.count(b'BEGIN:VEVENT')} events\n")
        print("| request | bytes | cold median ms | cold p90 ms | warm median ms | warm p90 ms |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, url, headers in cases:
            def get(url: str = url, headers: dict[str, str] = headers) -> int:
                r = client.get(url, headers=headers)
                assert r.status_code in (200, 304), (url, r.status_code)
                return len(r.data)

            size = get()

            def cold(get: Callable[[], int] = get) -> None:
                with app.app_context():
                    cache().clear()
                clear_event_cache()
                get()

            c_med, c_p90 = measure(cold, args.cold_repeat)
            w_med, w_p90 = measure(get, args.repeat)
            print(f"| {label} | {size} | {c_med:.1f} | {c_p90:.1f} | {w_med:.2f} | {w_p90:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
