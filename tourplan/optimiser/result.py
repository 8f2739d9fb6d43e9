"""Result: turn the search state into a Plan (of the problem's version) with exact times and reasons."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from tourplan.optimiser.diagnose import CAPACITY
from tourplan.optimiser.search import State
from tourplan.plan import Plan, Route, Stats, Stop, Unserved, objective_value
from tourplan.problem import Problem


def build_plan(state: State, seconds: float) -> Plan:
    """The plan of the search's final state: exact (rounded) times, occurrence numbers, reasons."""
    inst = state.inst
    p = inst.problem
    number = _occurrence_numbers(state)
    routes = []
    for vd_i in sorted(state.routes, key=lambda i: (inst.van_days[i].day, inst.van_days[i].van_index)):
        visits = state.routes[vd_i]
        if not visits:
            continue
        vd = inst.van_days[vd_i]
        t = state.timing(vd_i, visits, rounded=True)
        if t is None:  # pragma: no cover - the search only keeps routes the schedule accepts
            raise AssertionError(f"route {vd.van.id} {vd.day} has no valid schedule")
        stops = tuple(
            Stop(p.requests[state.visit_request[v]].id, number[v], t.arrive[i], t.start[i], t.end[i])
            for i, v in enumerate(visits)
        )
        routes.append(Route(
            van=vd.van.id, day=vd.day, leave=t.leave, back=t.back, stops=stops,
            distance_km=state.route_km(vd_i, visits), drive_minutes=t.drive_minutes,
            break_start=t.break_start, break_end=t.break_end,
        ))
    unserved = []
    for v in range(len(inst.visits)):
        if v in state.where:
            continue
        reason, detail = state.excluded.get(v, (CAPACITY.reason, CAPACITY.detail))
        unserved.append(Unserved(p.requests[state.visit_request[v]].id, number[v], reason, detail))
    unserved.sort(key=lambda u: (u.request, u.occurrence))
    plan = summarise(p, routes, unserved, seconds, state.moved())
    return _name_rhythm_conflicts(p, plan)


def summarise(problem: Problem, routes: Sequence[Route], unserved: Sequence[Unserved], seconds: float,
              moved: int) -> Plan:
    """The plan of these routes and left-out visits, with its figures and status computed.

    The one place that states a plan's statistics: the optimiser's result and the desk's
    hand moves (:mod:`tourplan.moves`) both end here.

    Parameters
    ----------
    problem
        The problem planned.
    routes
        The van-days, in plan order; routes without stops are dropped.
    unserved
        The visits left out.
    seconds
        Solve time to state.
    moved
        Published visits the routes move (problem-format v2), counted by the caller.

    Returns
    -------
    Plan
        ``infeasible`` when a required visit is left out, else ``feasible``; of the
        problem's version (at least 1).
    """
    routes = tuple(r for r in routes if r.stops)
    served = [s for r in routes for s in r.stops]
    served_pri = sum(problem.request_by_id[s.request].priority for s in served)
    required_left = any(problem.request_by_id[u.request].required for u in unserved)
    stats = Stats(
        visits=len(problem.visits),
        served=len(served),
        unserved=len(unserved),
        served_priority=served_pri,
        total_priority=problem.total_priority,
        distance_km=round(sum(r.distance_km for r in routes), 1),
        drive_minutes=sum(r.drive_minutes for r in routes),
        van_days=len(routes),
        solve_seconds=seconds,
        moved=moved,
        objective=objective_value(served_pri, moved, problem.stability.move_cost),
    )
    return Plan(problem.name, "infeasible" if required_left else "feasible", routes, tuple(unserved), stats,
                version=max(problem.version, 1))


def _occurrence_numbers(state: State) -> dict[int, int]:
    """Visits of one request are interchangeable except locked and published ones (the public
    knows them by their number): number the others in date order from the numbers left."""
    inst, p = state.inst, state.inst.problem
    fixed_by_req: dict[str, set[int]] = defaultdict(set)
    for key in [*p.locked_by_visit, *p.published_by_visit]:
        fixed_by_req[key[0]].add(key[1])
    number: dict[int, int] = {}
    for ri, vis in enumerate(state.request_visits):
        req = p.requests[ri]
        fixed = fixed_by_req.get(req.id, set())
        free = [k for k in range(req.occurrences) if k not in fixed and (req.id, k) not in p.history_keys]
        for v in vis:
            if inst.visits[v].occurrence in fixed:
                number[v] = inst.visits[v].occurrence
        served = sorted((v for v in vis if v in state.where and v not in number),
                        key=lambda v: inst.van_days[state.where[v]].ordinal)
        rest = [v for v in vis if v not in number and v not in state.where]
        for v, k in zip(served + rest, free, strict=True):
            number[v] = k
    return number


def _name_rhythm_conflicts(problem, plan: Plan) -> Plan:  # noqa: ANN001
    """A visit left out for want of room whose rhythm is what keeps it out is a ``rhythm``
    conflict: it would fit with its spacing alone, and the referee finds no place keeping the
    rhythm (asking the referee itself means the claim is never one it refutes)."""
    from dataclasses import replace

    from tourplan.checker import could_be_served

    changed = []
    for u in plan.unserved:
        req = problem.request_by_id[u.request]
        if u.reason == CAPACITY.reason and req.has_rhythm \
                and could_be_served(problem, plan, u.request, u.occurrence, keep_rhythm=False) \
                and not could_be_served(problem, plan, u.request, u.occurrence):
            u = Unserved(u.request, u.occurrence, "rhythm",
                         "it would fit a van-day, but not keeping its rhythm (days between visits, weekday, "
                         "start time) with the visits it has")
        changed.append(u)
    return replace(plan, unserved=tuple(changed))
