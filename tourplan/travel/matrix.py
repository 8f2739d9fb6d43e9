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

    def get(self, graph_version: str, pairs: Iterable[Pair]) -> dict[Pair, tuple[float, float]]:
        """The known legs of ``pairs`` (a few origins to a few targets)."""
        ...

    def among(self, graph_version: str, keys: Sequence[Key]) -> Iterable[tuple[int, int, float, float]]:
        """Every known leg between two different points of ``keys`` (a whole matrix), as
        ``(from index, to index, km, minutes)``, indexes into ``keys``: no pair is built, as
        a 300-point matrix has 89,700 legs."""
        ...

    def put(self, graph_version: str, legs: Mapping[Pair, tuple[float, float]]) -> None: ...


class MemoryLegCache:
    """A leg cache in memory (CLI runs, benchmark, tests): ``legs[graph_version, from][to]``."""

    def __init__(self) -> None:
        self.legs: dict[tuple[str, Key], dict[Key, tuple[float, float]]] = {}

    def get(self, graph_version: str, pairs: Iterable[Pair]) -> dict[Pair, tuple[float, float]]:
        legs = self.legs
        return {(a, b): v for a, b in pairs if (v := legs.get((graph_version, a), {}).get(b)) is not None}

    def among(self, graph_version: str, keys: Sequence[Key]) -> Iterable[tuple[int, int, float, float]]:
        for i, a in enumerate(keys):
            row = self.legs.get((graph_version, a))
            if row:
                for j, b in enumerate(keys):
                    if i != j and (v := row.get(b)) is not None:
                        yield i, j, v[0], v[1]

    def put(self, graph_version: str, legs: Mapping[Pair, tuple[float, float]]) -> None:
        for (a, b), v in legs.items():
            self.legs.setdefault((graph_version, a), {})[b] = v


def road_matrix(points: Sequence[Point], router: Router, cache: LegCache | None = None) -> Legs:
    """km and minutes by road between every two of ``points`` (rows and columns in their order)."""
    row_keys = [point_key(p) for p in points]
    where = {k: i for i, k in enumerate(dict.fromkeys(row_keys))}
    keys, n = list(where), len(where)
    # None until known: filled by index from the cache, then from the engine for what is left.
    km: list[list[Any]] = [[None] * n for _ in range(n)]
    minutes: list[list[Any]] = [[None] * n for _ in range(n)]
    for i, j, d, t in cache.among(router.graph_version, keys) if cache is not None else ():
        km[i][j], minutes[i][j] = d, t
    for i in range(n):
        km[i][i] = minutes[i][i] = 0.0
    if any(None in row for row in km):
        missing = {(keys[i], keys[j]) for i, row in enumerate(km) for j, d in enumerate(row) if d is None}
        fresh = _ask(router, keys, {k: Point(*k) for k in keys}, missing)
        if cache is not None:
            cache.put(router.graph_version, fresh)
        for (a, b), (d, t) in fresh.items():
            km[where[a]][where[b]], minutes[where[a]][where[b]] = d, t
    if len(row_keys) != n:  # one place twice (two requests at one town hall): its row and column repeat
        at = [where[k] for k in row_keys]
        km = [[km[i][j] for j in at] for i in at]
        minutes = [[minutes[i][j] for j in at] for i in at]
    return Legs(km=km, minutes=minutes)


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
