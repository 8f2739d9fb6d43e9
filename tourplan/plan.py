"""The tour plan (problem-format versions 1 and 2): what the optimiser returns and the checker judges.

A :class:`Plan` is plain data; it can be built by the optimiser, read back from a
file or from the database.  Its figures (``stats``) are what the plan *states*;
:mod:`tourplan.checker` recomputes them from the problem and says whether the
statement holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from tourplan.problem import (
    FORMAT_VERSION,
    JsonReader,
    Problem,
    ProblemError,
    format_time,
    read_json_file,
)

#: Why a visit was left out (format § Plan), with the words shown to operators.
UNSERVED_REASONS: dict[str, str] = {
    "no_van_with_equipment": "no van carries the equipment it needs",
    "no_service_day_in_window": "no service day of any suitable van falls in its windows and weekdays",
    "too_far_for_a_day": "it cannot be reached and left within any shift",
    "window_too_short": "its hours cannot hold its duration",
    "capacity": "it could be served alone, but not together with the rest of the plan",
    "locked_conflict": "its locked date, van or time cannot be kept",
    "rhythm": "its rhythm (days between visits, weekday, start time) cannot be kept with its other visits",
}

STATUSES = ("feasible", "infeasible")


@dataclass(frozen=True)
class Stop:
    """One visit of a route: the request, which of its visits, and minutes after midnight it
    arrives, starts and ends.
    """

    request: str
    occurrence: int
    arrive: int
    start: int
    end: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.request, self.occurrence)


@dataclass(frozen=True)
class Route:
    """One van-day: leaves the depot, serves its stops in order, comes back."""

    van: str
    day: date
    leave: int
    back: int
    stops: tuple[Stop, ...]
    distance_km: float = 0.0
    drive_minutes: int = 0
    break_start: int | None = None
    break_end: int | None = None


@dataclass(frozen=True)
class Unserved:
    """A visit left out, with its ``reason`` (a :data:`UNSERVED_REASONS` key) and an English ``detail``."""

    request: str
    occurrence: int
    reason: str
    detail: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.request, self.occurrence)


@dataclass(frozen=True)
class Stats:
    """The figures a plan states (:mod:`tourplan.checker` recomputes and compares them).

    Attributes
    ----------
    visits, served, unserved
        Visits to plan (history excepted), served, left out.
    served_priority, total_priority
        Priority of the visits served, and of all of them.
    distance_km, drive_minutes, van_days
        Totals of the routes.
    solve_seconds
        Time the optimiser took.
    moved, objective
        Version 2: published visits moved, and ``served_priority - move_cost * moved``.
    """

    visits: int = 0
    served: int = 0
    unserved: int = 0
    served_priority: int = 0
    total_priority: int = 0
    distance_km: float = 0.0
    drive_minutes: int = 0
    van_days: int = 0
    solve_seconds: float = 0.0
    #: version 2: published visits moved, and served priority - move_cost * moved
    moved: int = 0
    objective: float = 0.0


def objective_value(served_priority: int, moved: int, move_cost: float) -> float:
    """The version-2 objective's first term (format § Version 2), one rounding for everyone.

    Parameters
    ----------
    served_priority
        Priority of the visits served.
    moved
        Published visits moved.
    move_cost
        The problem's price of one move (``stability.move_cost``).

    Returns
    -------
    float
        ``served_priority - move_cost * moved``, rounded to 6 decimals.
    """
    return round(served_priority - move_cost * moved, 6)


@dataclass(frozen=True)
class Plan:
    """A tour plan: the routes, the visits left out and the figures it states.

    Plain data, immutable: built by the optimiser, read from a file (:func:`plan_from_json`,
    :func:`load_plan`) or from the database; judged by :func:`tourplan.checker.check_plan`.

    Attributes
    ----------
    problem
        Name of the problem it solves.
    status
        ``feasible`` or ``infeasible`` (a required visit is left out), as stated.
    routes
        The van-days, by date then van.
    unserved
        The visits left out, each with its reason.
    stats
        The stated figures.
    version
        Format version, that of its problem.
    """

    problem: str
    status: str
    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    stats: Stats = field(default_factory=Stats)
    version: int = FORMAT_VERSION

    def is_feasible(self, problem: Problem) -> bool:
        """Whether every rule of ``problem`` holds, as the referee finds (never the stated status)."""
        from tourplan.checker import check_plan

        return check_plan(problem, self).ok

    def summary(self) -> str:
        return plan_summary(self)

    def to_json(self) -> dict[str, Any]:
        return plan_to_json(self)


def plan_summary(plan: Plan) -> str:
    s = plan.stats
    lines = [
        f"{plan.problem}: {plan.status}",
        f"  visits served   {s.served} of {s.visits}  (priority {s.served_priority} of {s.total_priority})",
        f"  distance        {s.distance_km:.1f} km, {s.drive_minutes // 60} h {s.drive_minutes % 60:02d} driving",
        f"  van-days        {s.van_days}",
        *([f"  published moved {s.moved}  (objective {s.objective:g})"] if plan.version >= 2 else []),
        f"  solved in       {s.solve_seconds:.1f} s",
    ]
    if plan.unserved:
        by_reason: dict[str, int] = {}
        for u in plan.unserved:
            by_reason[u.reason] = by_reason.get(u.reason, 0) + 1
        lines.append("  left out        " + ", ".join(f"{n} {r}" for r, n in sorted(by_reason.items())))
    return "\n".join(lines)


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON of its version; :func:`plan_from_json` reads it back equal.

    Parameters
    ----------
    plan
        The plan to write.

    Returns
    -------
    dict
        Its JSON object (times as ``HH:MM``, dates ISO).
    """
    s = plan.stats
    return {
        "version": plan.version,
        "problem": plan.problem,
        "status": plan.status,
        "stats": {
            "visits": s.visits,
            "served": s.served,
            "unserved": s.unserved,
            "served_priority": s.served_priority,
            "total_priority": s.total_priority,
            "distance_km": round(s.distance_km, 1),
            "drive_minutes": s.drive_minutes,
            "van_days": s.van_days,
            "solve_seconds": round(s.solve_seconds, 1),
            **({"moved": s.moved, "objective": _number(s.objective)} if plan.version >= 2 else {}),
        },
        "routes": [_route_json(r) for r in plan.routes],
        "unserved": [
            {"request": u.request, "occurrence": u.occurrence, "reason": u.reason, "detail": u.detail}
            for u in plan.unserved
        ],
    }


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _route_json(r: Route) -> dict[str, Any]:
    d: dict[str, Any] = {
        "van": r.van,
        "date": r.day.isoformat(),
        "leave": format_time(r.leave),
        "back": format_time(r.back),
        "distance_km": round(r.distance_km, 1),
        "drive_minutes": r.drive_minutes,
        "stops": [
            {
                "request": s.request,
                "occurrence": s.occurrence,
                "arrive": format_time(s.arrive),
                "start": format_time(s.start),
                "end": format_time(s.end),
            }
            for s in r.stops
        ],
    }
    if r.break_start is not None and r.break_end is not None:
        d["break"] = {"start": format_time(r.break_start), "end": format_time(r.break_end)}
    return d


def plan_from_json(data: Any, source: str | None = None) -> Plan:
    """Read a plan file's JSON (version 1 or 2).

    Parameters
    ----------
    data
        A plan file's JSON, already parsed (version 1 or 2); ``source`` names it in messages.

    Returns
    -------
    Plan
        The plan with its figures as stated (:func:`tourplan.checker.check_plan` judges them).

    Raises
    ------
    ProblemError
        On the first defect, naming the field path (``routes[2].stops[0].start``).
    """
    rd, top = JsonReader.top(data, source)
    version = rd.version(top)
    status = rd.str(rd.req(top, "status", ""), "status")
    if status not in STATUSES:
        raise rd.fail("status", f"expected one of {', '.join(STATUSES)}, got {status!r}")
    routes = tuple(_read_route(rd, raw, f"routes[{i}]") for i, raw in enumerate(rd.list(top.get("routes", []),
                                                                                          "routes")))
    unserved = tuple(_read_unserved(rd, raw, f"unserved[{i}]")
                     for i, raw in enumerate(rd.list(top.get("unserved", []), "unserved")))
    return Plan(
        problem=rd.str(top.get("problem", ""), "problem", empty=True),
        status=status,
        routes=routes,
        unserved=unserved,
        stats=_read_stats(rd, rd.obj(top.get("stats", {}), "stats")),
        version=version,
    )


def _read_route(rd: JsonReader, raw: Any, w: str) -> Route:
    r = rd.obj(raw, w)
    stops = []
    for j, sraw in enumerate(rd.list(r.get("stops", []), f"{w}.stops")):
        sw = f"{w}.stops[{j}]"
        s = rd.obj(sraw, sw)
        stops.append(
            Stop(
                request=rd.str(rd.req(s, "request", sw), f"{sw}.request"),
                occurrence=rd.int(s.get("occurrence", 0), f"{sw}.occurrence", minimum=0),
                arrive=rd.time(rd.req(s, "arrive", sw), f"{sw}.arrive"),
                start=rd.time(rd.req(s, "start", sw), f"{sw}.start"),
                end=rd.time(rd.req(s, "end", sw), f"{sw}.end"),
            )
        )
    b_start = b_end = None
    if r.get("break") is not None:
        b = rd.obj(r["break"], f"{w}.break")
        b_start = rd.time(rd.req(b, "start", f"{w}.break"), f"{w}.break.start")
        b_end = rd.time(rd.req(b, "end", f"{w}.break"), f"{w}.break.end")
    return Route(
        van=rd.str(rd.req(r, "van", w), f"{w}.van"),
        day=rd.date(rd.req(r, "date", w), f"{w}.date"),
        leave=rd.time(rd.req(r, "leave", w), f"{w}.leave"),
        back=rd.time(rd.req(r, "back", w), f"{w}.back"),
        stops=tuple(stops),
        distance_km=rd.num(r.get("distance_km", 0.0), f"{w}.distance_km"),
        drive_minutes=rd.int(r.get("drive_minutes", 0), f"{w}.drive_minutes"),
        break_start=b_start,
        break_end=b_end,
    )


def _read_unserved(rd: JsonReader, raw: Any, w: str) -> Unserved:
    u = rd.obj(raw, w)
    reason = rd.str(rd.req(u, "reason", w), f"{w}.reason")
    if reason not in UNSERVED_REASONS:
        raise rd.fail(f"{w}.reason", f"expected one of {', '.join(UNSERVED_REASONS)}, got {reason!r}")
    return Unserved(
        request=rd.str(rd.req(u, "request", w), f"{w}.request"),
        occurrence=rd.int(u.get("occurrence", 0), f"{w}.occurrence", minimum=0),
        reason=reason,
        detail=rd.str(u.get("detail", ""), f"{w}.detail", empty=True),
    )


def _read_stats(rd: JsonReader, st: Mapping[str, Any]) -> Stats:
    def num(key: str, kind: type) -> Any:
        if key not in st:
            return kind()
        return rd.int(st[key], f"stats.{key}") if kind is int else rd.num(st[key], f"stats.{key}")

    kinds = {f.name: (int if f.type in ("int", int) else float) for f in fields(Stats)}
    return Stats(**{key: num(key, kind) for key, kind in kinds.items()})


def load_plan(path: str | Path) -> Plan:
    """The plan a JSON file holds: :func:`plan_from_json` of :func:`tourplan.problem.read_json_file`.

    Raises
    ------
    ProblemError
        When ``path`` cannot be read, is not JSON, or breaks the plan format (file and field named).
    """
    return plan_from_json(read_json_file(path), source=str(path))


__all__ = [
    "Plan",
    "ProblemError",
    "Route",
    "Stats",
    "Stop",
    "UNSERVED_REASONS",
    "Unserved",
    "load_plan",
    "objective_value",
    "plan_from_json",
    "plan_to_json",
]
