"""A problem's travel by road: every depot and visit point, km and minutes (format § Travel).

Legs are keyed on rounded coordinates and the road-graph version, so a cache (the web app's
table, or :class:`MemoryLegCache`) lets a re-plan ask the engine only for the legs of the
points it has not seen on this graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from tourplan.problem import Point, problem_from_json
from tourplan.travel.engine import Legs, Router, TravelError, UnreachablePoint

# 5 decimals of a degree is about a metre: a point moved by less shares its legs (the
# format itself matches points to 1e-6 degree, finer than any road can tell apart).
KEY_DECIMALS = 5

Key = tuple[float, float]
Pair = tuple[Key, Key]


def point_key(p: Point) -> Key:
    return (round(p.lat, KEY_DECIMALS), round(p.lon, KEY_DECIMALS))


class LegCache(Protocol):
    """Known legs of one road graph: ``(from key, to key) -> (km, minutes)``."""

    def get(self, graph_version: str, pairs: Iterable[Pair]) -> dict[Pair, tuple[float, float]]: ...

    def put(self, graph_version: str, legs: Mapping[Pair, tuple[float, float]]) -> None: ...


class MemoryLegCache:
    """A leg cache in memory (CLI runs, benchmark, tests)."""

    def __init__(self) -> None:
        self.legs: dict[tuple[str, Pair], tuple[float, float]] = {}

    def get(self, graph_version: str, pairs: Iterable[Pair]) -> dict[Pair, tuple[float, float]]:
        legs = self.legs
        return {p: v for p in pairs if (v := legs.get((graph_version, p))) is not None}

    def put(self, graph_version: str, legs: Mapping[Pair, tuple[float, float]]) -> None:
        self.legs.update({(graph_version, p): v for p, v in legs.items()})


def road_matrix(points: Sequence[Point], router: Router, cache: LegCache | None = None) -> Legs:
    """km and minutes by road between every two of ``points`` (rows and columns in their order)."""
    row_keys = [point_key(p) for p in points]
    keys = list(dict.fromkeys(row_keys))
    where = {k: Point(*k) for k in keys}
    wanted = [(a, b) for a in keys for b in keys if a != b]
    known = cache.get(router.graph_version, wanted) if cache is not None else {}
    fresh = _ask(router, keys, where, {pair for pair in wanted if pair not in known})
    if cache is not None and fresh:
        cache.put(router.graph_version, fresh)
    legs = {**known, **fresh}
    zero = (0.0, 0.0)
    rows = [[zero if a == b else legs[(a, b)] for b in row_keys] for a in row_keys]
    return Legs(km=[[c[0] for c in row] for row in rows], minutes=[[c[1] for c in row] for row in rows])


def _ask(router: Router, keys: list[Key], where: dict[Key, Point],
         missing: set[Pair]) -> dict[Pair, tuple[float, float]]:
    """Ask the engine for the missing legs: the rows and columns of the points they touch."""
    if not missing:
        return {}
    chosen = _cover(missing, len(keys))
    new = [k for k in keys if k in chosen]
    old = [k for k in keys if k not in chosen]
    out: dict[Pair, tuple[float, float]] = {}
    _collect(out, router.legs([where[k] for k in new], [where[k] for k in keys]), new, keys)
    if old:
        _collect(out, router.legs([where[k] for k in old], [where[k] for k in new]), old, new)
    return {pair: v for pair, v in out.items() if pair[0] != pair[1]}


def _cover(missing: set[Pair], n: int) -> set[Key]:
    """Few points whose rows and columns hold every missing leg (greedy cover).

    After one new request that is the new point alone; when most legs are missing
    (a cold start, a new graph) it is every point, asked in one square request.
    """
    if len(missing) * 4 > n * n:
        return {k for pair in missing for k in pair}
    left, chosen = set(missing), set()
    while left:
        count: dict[Key, int] = {}
        for a, b in left:
            count[a] = count.get(a, 0) + 1
            count[b] = count.get(b, 0) + 1
        best = max(count, key=lambda k: count[k])
        chosen.add(best)
        left = {pair for pair in left if best not in pair}
    return chosen


def _collect(out: dict[Pair, tuple[float, float]], legs: Legs, rows: list[Key], cols: list[Key]) -> None:
    for i, a in enumerate(rows):
        for j, b in enumerate(cols):
            out[(a, b)] = (legs.km[i][j], legs.minutes[i][j])


def _named_points(problem: Any) -> list[tuple[Point, str]]:
    """Every depot and visit point with the words that let an operator find it."""
    named = [(v.depot, f"depot of van {v.id} ({v.depot_label or v.name})") for v in problem.vans]
    named += [(r.location, f"request {r.id} ({r.label})") for r in problem.requests]
    return named


def rewrite_problem_travel(data: dict[str, Any], router: Router, cache: LegCache | None = None,
                           source: str | None = None) -> dict[str, Any]:
    """The problem with its travel rewritten into the "matrix" model, by road.

    A point the road network cannot reach raises :class:`TravelError` naming the request
    (or the depot) and its coordinates.
    """
    problem = problem_from_json(data, source=source)
    named = _named_points(problem)
    points = list({point_key(p): p for p, _ in named}.values())
    try:
        legs = road_matrix(points, router, cache)
    except UnreachablePoint as e:
        names = [name for p, name in named if point_key(p) == point_key(e.point)] or ["a point"]
        raise TravelError(f"{', '.join(names)} at {e.point.lat:.6f}, {e.point.lon:.6f}: {e.why}",
                          source=source) from None
    out = dict(data)
    out["travel"] = {"model": "matrix", "points": [p.to_json() for p in points],
                     "km": legs.km, "minutes": legs.minutes}
    return out
