"""VROOM on a tour problem, for the side-by-side benchmark (bench/tours.py; pyvroom is a
benchmark-only dependency).

The problem becomes one VROOM vehicle per van-day (its shift, its break, its driving
limit) and one job per visit, whose time windows are the van-days its request allows
(weekday rhythm and common start included), with the same travel matrices as the
optimiser.  VROOM cannot express the days between a request's occurrences, so its
routes are then made valid the way the optimiser's own are (exact schedule, spacing:
the least valuable offending visits dropped) and judged by the same referee.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from tourplan.plan import Plan
from tourplan.problem import Problem

DAY = 86400


def _slice(st, v: int) -> tuple[int, int] | None:  # noqa: ANN001
    """Days (ordinals) occurrence ``v`` may take so that a request's occurrences keep their
    least days between whatever VROOM picks: occurrence i of k gets the i-th k-th of the
    request's allowed days, the windows ``min_days_between`` apart (None: not needed, or
    the days cannot hold them all).  Occurrences beyond what the days can hold get none."""
    ri = st.visit_request[v]
    req = st.inst.problem.requests[ri]
    visits = st.request_visits[ri]
    if req.min_days_between <= 0 or len(visits) < 2:
        return None  # nothing to keep apart
    days = sorted({st.inst.van_days[x].ordinal for x in st.allowed[ri]})
    if not days:
        return None
    i, g = visits.index(v), req.min_days_between
    k = min(len(visits), (days[-1] - days[0]) // g + 1)  # the occurrences the days can hold
    if i >= k:
        return (1, 0)  # an occurrence no plan can serve: no window at all
    width = (days[-1] - days[0] - (k - 1) * g) / k  # k windows of this many days, g days apart
    lo = days[0] + i * (width + g)
    return int(lo + 0.999), int(lo + width)


def _windows(st, v: int, ord0: int) -> tuple[list[tuple[int, int]], set[int]]:  # noqa: ANN001
    """Time windows (seconds from the horizon start) of visit ``v`` on its allowed van-days,
    one per day (widest over vans), and the vans that may take it."""
    inst = st.inst
    by_day: dict[int, tuple[int, int]] = {}
    vans: set[int] = set()
    part = _slice(st, v)
    for x in st.allowed[st.visit_request[v]]:
        vd = inst.van_days[x]
        if part is not None and not part[0] <= vd.ordinal <= part[1]:
            continue
        spec = st.stop(v, x)
        if spec.start_hi < spec.start_lo:
            continue
        base = (vd.ordinal - ord0) * DAY
        lo, hi = base + spec.start_lo * 60, base + spec.start_hi * 60
        old = by_day.get(vd.ordinal)
        by_day[vd.ordinal] = (min(lo, old[0]), max(hi, old[1])) if old else (lo, hi)
        vans.add(vd.van_index)
    return [by_day[d] for d in sorted(by_day)], vans


def _skills(problem: Problem) -> dict[str, int]:
    """Equipment names as VROOM skills (numbers above the van indices)."""
    names = sorted({e for van in problem.vans for e in van.equipment}
                   | {e for r in problem.requests for e in r.equipment})
    return {name: 1000 + i for i, name in enumerate(names)}


def _vehicles(inst, ord0: int, skills: dict[str, int]) -> list:  # noqa: ANN001
    import vroom

    out = []
    for vd in inst.van_days:
        spec, base = vd.spec, (vd.ordinal - ord0) * DAY
        breaks = []
        if spec.break_minutes and spec.break_earliest is not None:
            breaks = [vroom.Break(vd.index, time_windows=[vroom.TimeWindow(
                base + spec.break_earliest * 60, base + (spec.break_latest - spec.break_minutes) * 60)],
                service=spec.break_minutes * 60)]
        out.append(vroom.Vehicle(
            vd.index, start=spec.depot, end=spec.depot,
            skills={vd.van_index} | {skills[e] for e in vd.van.equipment},
            time_window=vroom.TimeWindow(base + spec.shift_start * 60, base + spec.shift_end * 60),
            breaks=breaks,
            max_travel_time=None if spec.max_drive is None else int(spec.max_drive * 60)))
    return out


def solve_with_vroom(problem: Problem, time_limit: float, threads: int = 2) -> Plan:
    """VROOM's plan of ``problem`` (exploration level 5), made valid for the referee."""
    import vroom

    from tourplan.optimiser.instance import build_instance
    from tourplan.optimiser.result import build_plan
    from tourplan.optimiser.search import Searcher, _keep_spacing, initial_state

    inst = build_instance(problem)
    st = initial_state(inst)
    ord0 = min((vd.ordinal for vd in inst.van_days), default=0)
    vi = vroom.Input()
    vi.set_durations_matrix("car", (np.asarray(inst.leg) * 60).astype(np.uint32))
    vi.set_costs_matrix("car", np.rint(np.asarray(inst.km) * 1000).astype(np.uint32))
    skills = _skills(problem)
    for veh in _vehicles(inst, ord0, skills):
        vi.add_vehicle(veh)
    for v in range(len(inst.visits)):
        if v in st.excluded or v in st.locked:
            continue
        windows, vans = _windows(st, v, ord0)
        if not windows:
            continue
        req = problem.requests[st.visit_request[v]]
        job = vroom.Job(v, location=inst.request_loc[st.visit_request[v]], default_service=req.duration * 60,
                        time_windows=[vroom.TimeWindow(a, b) for a, b in windows],
                        priority=min(100, 20 * req.priority),
                        skills=(vans if len(vans) == 1 else set()) | {skills[e] for e in req.equipment})
        vi.add_job(job)
    solution = vi.solve(exploration_level=5, nb_threads=threads, timeout=timedelta(seconds=time_limit))
    routes: dict[int, list[int]] = {}
    df = solution.routes
    for row in df[df["type"] == "job"].itertuples():
        routes.setdefault(int(row.vehicle_id), []).append(int(row.id))
    s = Searcher(inst, st, float("inf"))
    for vd, visits in routes.items():
        st.set_route(vd, s._repair(vd, [v for v in visits if v not in st.where]))
    _keep_spacing(st)
    return build_plan(st, 0.0)
