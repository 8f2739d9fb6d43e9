"""Checked hand moves of a plan: put one visit on another van-day, re-time, referee.

Pure functions on :class:`tourplan.problem.Problem` and :class:`tourplan.plan.Plan` (no
Flask, no database).  Times are rebuilt with the optimiser's own scheduler
(:func:`tourplan.optimiser.schedule.schedule_day_rounded` on the optimiser's day spec,
:func:`tourplan.optimiser.instance.day_spec`), the figures with the optimiser's
:func:`tourplan.optimiser.result.summarise`, and the resulting plan is judged by the
referee (:func:`tourplan.checker.check_plan`, spacing and rhythm by
:func:`tourplan.checker.spacing_breaks`): a move is accepted only when the whole plan passes.

A refused move raises :class:`MoveError`, which names the rule and carries the facts
(dates, van, missing equipment, the broken rhythm field…) so that a caller can say it in
its users' language; the planning desk says it in French (``web/desk/moves.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from tourplan.blockers import DayOption, day_options
from tourplan.changes import is_moved
from tourplan.checker import SpacingBreak, Violation, check_plan, spacing_breaks
from tourplan.optimiser.instance import Instance, day_spec
from tourplan.optimiser.result import summarise
from tourplan.optimiser.schedule import DaySpec, StopSpec, Timing, schedule_day_rounded
from tourplan.plan import Plan, Route, Stop, Unserved
from tourplan.problem import Point, Problem, Request, Van

Key = tuple[str, int]


class MoveError(Exception):
    """A hand move or removal that would break a rule of the problem.

    Attributes
    ----------
    rule
        The rule broken, a :mod:`tourplan.checker` rule name (``window``, ``rhythm``…).
    cause
        Which case of the rule, when a rule has several (``season`` or ``van`` for
        ``service_day``, ``elsewhere``/``margin``/``remove`` for ``locked``…); else ``""``.
    facts
        What the message needs: ``day``, ``van`` (a :class:`~tourplan.problem.Van`),
        ``missing`` equipment, ``windows``, ``weekdays``, ``spacing``
        (a :class:`~tourplan.checker.SpacingBreak`), ``violation``
        (a :class:`~tourplan.checker.Violation` of the referee)…
    """

    def __init__(self, rule: str, cause: str = "", **facts: Any) -> None:
        self.rule, self.cause, self.facts = rule, cause, facts
        super().__init__(f"{rule}{'/' + cause if cause else ''}: {facts}")


@dataclass
class _Legs:
    """Whole-minute legs between points, rounded to nearest like the optimiser does."""

    problem: Problem
    points: list[Point]

    def index(self, p: Point) -> int:
        for i, q in enumerate(self.points):
            if q == p:
                return i
        self.points.append(p)
        return len(self.points) - 1

    def minutes(self, a: int, b: int) -> int:
        return int(self.problem.travel.minutes(self.points[a], self.points[b]) + 0.5)

    def km(self, locs: Sequence[int]) -> float:
        t = self.problem.travel
        return sum(t.km(self.points[a], self.points[b]) for a, b in zip(locs, locs[1:], strict=False))

    def route_locs(self, van: Van, keys: Sequence[Key]) -> list[int]:
        depot = self.index(van.depot)
        return [depot] + [self.index(self.problem.request_by_id[k[0]].location) for k in keys] + [depot]


def _stop_spec(problem: Problem, legs: _Legs, van: Van, key: Key) -> StopSpec:
    req = problem.request_by_id[key[0]]
    lo, hi = req.hours_on(van)
    hi -= req.duration
    lock = problem.locked_by_visit.get(key)
    if lock is not None:
        # A locked visit keeps its start within the slack, whatever else moves that day.
        lo = max(lo, lock.start - lock.slack_minutes)
        hi = min(hi, lock.start + lock.slack_minutes)
    return StopSpec(legs.index(req.location), req.duration, lo, hi)


def _schedule(problem: Problem, legs: _Legs, van: Van, keys: Sequence[Key], spec: DaySpec | None = None
              ) -> Timing | None:
    spec = spec or day_spec(van, legs.index(van.depot))
    stops = [_stop_spec(problem, legs, van, k) for k in keys]
    if any(s.start_hi < s.start_lo for s in stops):
        return None
    # The driving limit applies to the stated whole-minute legs (problem-format § Travel).
    return schedule_day_rounded(spec, stops, legs.minutes)


def _route(legs: _Legs, van: Van, day: date, keys: Sequence[Key], t: Timing) -> Route:
    stops = tuple(Stop(k[0], k[1], arrive=t.arrive[i], start=t.start[i], end=t.end[i]) for i, k in enumerate(keys))
    return Route(van=van.id, day=day, leave=t.leave, back=t.back, stops=stops,
                 distance_km=round(legs.km(legs.route_locs(van, keys)), 1), drive_minutes=t.drive_minutes,
                 break_start=t.break_start, break_end=t.break_end)


def moved_count(problem: Problem, routes: Sequence[Route]) -> int:
    """Published visits that ``routes`` move (problem-format v2).

    Parameters
    ----------
    problem
        The problem, with its published visits and stability slack.
    routes
        The plan's van-days.

    Returns
    -------
    int
        Published visits on another van or date, starting beyond the slack, or left out.
    """
    at = {s.key: (r.van, r.day, s.start) for r in routes for s in r.stops}
    return sum(1 for key, p in problem.published_by_visit.items() if is_moved(problem, p, at.get(key)))


def restate(problem: Problem, routes: Sequence[Route], unserved: Sequence[Unserved], solve_seconds: float) -> Plan:
    """A plan of these routes with its figures and status recomputed (the optimiser's statistics).

    Parameters
    ----------
    problem
        The problem planned.
    routes
        Van-days in any order; they are sorted by date then by the problem's van order.
    unserved
        The visits left out.
    solve_seconds
        The solve time to keep stating.

    Returns
    -------
    Plan
        The plan, figures from :func:`tourplan.optimiser.result.summarise`.
    """
    order = [v.id for v in problem.vans]
    routes = sorted(routes, key=lambda r: (r.day, order.index(r.van)))
    return summarise(problem, routes, unserved, solve_seconds, moved_count(problem, routes))


def _static_checks(problem: Problem, key: Key, req: Request, van: Van, day: date) -> None:
    """The rules one van-day decides alone, whatever its other stops."""
    if not problem.is_service_day(day):
        raise MoveError("service_day", "season", day=day)
    if day in van.unavailable_dates:
        raise MoveError("service_day", "van", day=day, van=van)
    if not van.carries(req.equipment):
        raise MoveError("equipment", van=van, missing=tuple(sorted(req.equipment - van.equipment)))
    if req.windows and not any(day in w for w in req.windows):
        raise MoveError("window", day=day, windows=req.windows)
    if req.weekdays is not None and day.isoweekday() not in req.weekdays:
        raise MoveError("weekday", day=day, weekdays=tuple(sorted(req.weekdays)))
    lock = problem.locked_by_visit.get(key)
    if lock is not None and (lock.van != van.id or lock.day != day):
        raise MoveError("locked", "elsewhere", day=lock.day)


def _check_rhythm(problem: Problem, req: Request, routes: Sequence[Route], day: date, *, timed: bool) -> None:
    """The request's spacing and rhythm on the routes, by the referee's own rule (``day``: where
    the visit goes); start times only when the routes are ``timed``."""
    days = [r.day for r in routes for s in r.stops if s.request == req.id]
    starts = [s.start for r in routes for s in r.stops if s.request == req.id] if timed else None
    breaks = spacing_breaks(req, days, problem.history_dates.get(req.id, ()), starts)
    if breaks:
        raise MoveError(breaks[0].rule, breaks[0].field, spacing=breaks[0], request=req, day=day)


def _placeholder_routes(plan: Plan, key: Key, van: Van, day: date) -> list[Route]:
    """The plan's routes with the visit on ``day`` (times not yet known: zero)."""
    routes = [replace(r, stops=tuple(s for s in r.stops if s.key != key)) for r in plan.routes]
    return [*routes, Route(van.id, day, 0, 0, (Stop(key[0], key[1], 0, 0, 0),))]


def _best_position(problem: Problem, legs: _Legs, van: Van, base: list[Key], key: Key,
                   position: int | None) -> tuple[list[Key], Timing] | None:
    """The stops of the day with ``key`` inserted at ``position`` (None: where the day drives
    least) and their times; None when no position is feasible."""
    best: tuple[float, list[Key], Timing] | None = None
    positions = range(len(base) + 1) if position is None else [min(max(position, 0), len(base))]
    for pos in positions:
        keys = base[:pos] + [key] + base[pos:]
        t = _schedule(problem, legs, van, keys)
        if t is None:
            continue
        km = legs.km(legs.route_locs(van, keys))
        if best is None or km < best[0] - 1e-9:
            best = (km, keys, t)
    return None if best is None else (best[1], best[2])


def _referee(problem: Problem, plan: Plan) -> Plan:
    report = check_plan(problem, plan)
    if not report.ok:
        v: Violation = report.violations[0]
        raise MoveError(v.rule, "referee", violation=v)
    return plan


def move_visit(problem: Problem, plan: Plan, key: Key, van_id: str, day: date, *,
               position: int | None = None) -> Plan:
    """The plan with visit ``key`` served by ``van_id`` on ``day``, every other visit kept on its van-day.

    Parameters
    ----------
    problem
        The problem of the plan.
    plan
        The plan to change (not modified).
    key
        The visit, ``(request id, occurrence)``; served or left out in ``plan``.
    van_id, day
        The van-day to put it on.
    position
        Its place among that day's stops (0: first); None: where the day drives least.

    Returns
    -------
    Plan
        The new plan, re-timed on both van-days, its figures recomputed; the referee passes it.

    Raises
    ------
    MoveError
        When the move breaks a rule (the first found: the van-day's own rules, the request's
        spacing and rhythm, the day's timing, then anything else the referee finds).
    """
    req = problem.request_by_id.get(key[0])
    if req is None or not 0 <= key[1] < req.occurrences:
        raise MoveError("unknown", "visit")
    van = problem.van_by_id.get(van_id)
    if van is None:
        raise MoveError("unknown", "van", van_id=van_id)
    _static_checks(problem, key, req, van, day)
    # The days alone first (a gap, a weekday), before any day is re-timed.
    _check_rhythm(problem, req, _placeholder_routes(plan, key, van, day), day, timed=False)

    legs = _Legs(problem, [])
    routes = {(r.van, r.day): r for r in plan.routes}
    source = next((vd for vd, r in routes.items() if key in [s.key for s in r.stops]), None)
    target = (van.id, day)
    base = [s.key for s in routes[target].stops if s.key != key] if target in routes else []
    placed = _best_position(problem, legs, van, base, key, position)
    if placed is None:
        raise _diagnose(problem, legs, van, day, base, key)
    routes[target] = _route(legs, van, day, placed[0], placed[1])
    if source is not None and source != target:
        _retime_without(problem, legs, routes, source, key)
    unserved = [u for u in plan.unserved if u.key != key]
    new_plan = restate(problem, list(routes.values()), unserved, plan.stats.solve_seconds)
    _check_rhythm(problem, req, new_plan.routes, day, timed=True)
    return _referee(problem, new_plan)


def _retime_without(problem: Problem, legs: _Legs, routes: dict[tuple[str, date], Route],
                    vd: tuple[str, date], key: Key) -> None:
    """Van-day ``vd`` of ``routes`` re-timed without visit ``key`` (dropped when empty)."""
    keys = [s.key for s in routes[vd].stops if s.key != key]
    if not keys:
        del routes[vd]
        return
    van = problem.van_by_id[vd[0]]
    t = _schedule(problem, legs, van, keys)
    if t is None:
        raise MoveError("travel", "source")
    routes[vd] = _route(legs, van, vd[1], keys, t)


def _diagnose(problem: Problem, legs: _Legs, van: Van, day: date, base: list[Key], key: Key) -> MoveError:
    """Which rule makes every position impossible: try again with one rule relaxed."""
    req = problem.request_by_id[key[0]]
    lo, hi = req.hours_on(van)
    if hi - lo < req.duration:
        return MoveError("hours", van=van, minutes=req.duration)
    spec = day_spec(van, legs.index(van.depot))

    def fits(relaxed: DaySpec) -> bool:
        return any(_schedule(problem, legs, van, base[:p] + [key] + base[p:], relaxed) is not None
                   for p in range(len(base) + 1))

    if van.max_drive_minutes is not None and fits(replace(spec, max_drive=None)):
        return MoveError("max_drive", van=van, day=day)
    if van.break_ is not None and fits(replace(spec, break_earliest=None, break_latest=None, break_minutes=0)):
        return MoveError("break", van=van, day=day)
    if base and problem.locked_by_visit.keys() & set(base):
        return MoveError("locked", "margin", day=day)
    return MoveError("shift", "full" if base else "alone", van=van, day=day)


def unserve_visit(problem: Problem, plan: Plan, key: Key, reason: str = "capacity") -> Plan:
    """The plan with visit ``key`` taken out of its route by hand, its van-day re-timed.

    Parameters
    ----------
    problem
        The problem ``plan`` solves.
    plan
        The plan to take the visit out of (not modified).
    key
        The visit, ``(request id, occurrence)``.
    reason
        The reason stated for it (a :data:`tourplan.plan.UNSERVED_REASONS` key).

    Returns
    -------
    Plan
        The new plan; ``plan`` itself when the visit was not served.

    Raises
    ------
    MoveError
        For a visit the problem does not know, a locked visit, or a plan the referee refuses.
    """
    if problem.request_by_id.get(key[0]) is None:
        raise MoveError("unknown", "visit")
    if key in problem.locked_by_visit:
        raise MoveError("locked", "remove")
    routes = {(r.van, r.day): r for r in plan.routes}
    source = next((vd for vd, r in routes.items() if key in [s.key for s in r.stops]), None)
    if source is None:
        return plan
    _retime_without(problem, _Legs(problem, []), routes, source, key)
    unserved = [*plan.unserved, Unserved(key[0], key[1], reason, "removed by hand by an operator")]
    return _referee(problem, restate(problem, list(routes.values()), unserved, plan.stats.solve_seconds))


def move_targets(problem: Problem, plan: Plan, key: Key, *, instance: Instance | None = None) -> list[DayOption]:
    """The van-days that can take visit ``key`` as ``plan`` stands, by date then van.

    Those where it fits alone and beside the day's stops
    (:func:`tourplan.blockers.day_options` with nothing in the way) and where its dates keep
    the request's spacing and rhythm; its own van-day is not one.  Start-time rhythm
    (``same_start_within_minutes``) depends on the re-timed day: :func:`move_visit` judges it.

    Parameters
    ----------
    problem, plan
        The problem and the plan as it stands.
    key
        The visit, ``(request id, occurrence)``.
    instance
        The optimiser's instance of ``problem``, to share between calls.

    Returns
    -------
    list of DayOption
        Empty for a locked visit (it moves only once unlocked) or one the problem does not plan.
    """
    if key in problem.locked_by_visit:
        return []
    try:
        options = day_options(problem, plan, key[0], key[1], instance=instance)
    except KeyError:
        return []
    req = problem.request_by_id[key[0]]
    here = next(((r.van, r.day) for r in plan.routes for s in r.stops if s.key == key), None)
    order = [v.id for v in problem.vans]
    days = [r.day for r in plan.routes for s in r.stops if s.request == req.id and s.key != key]
    held = problem.history_dates.get(req.id, ())
    out = [o for o in options
           if o.fits and (o.van, o.day) != here and not spacing_breaks(req, [*days, o.day], held)]
    return sorted(out, key=lambda o: (o.day, order.index(o.van)))


__all__ = ["MoveError", "SpacingBreak", "move_targets", "move_visit", "moved_count", "restate", "unserve_visit"]
