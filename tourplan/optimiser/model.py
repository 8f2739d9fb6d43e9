"""One OR-Tools routing model over a set of van-days (vehicles) and candidate visits.

The search layer cuts a season into such sub-models (a few weeks at a time) and
calls :func:`solve_model` on each, possibly warm-started from current routes.

Objective: arc cost = kilometres (10 m units) plus each node's ``extra`` (what
serving the visit *there* costs, e.g. moving a published visit); leaving a visit
out costs its ``penalty``, which the caller sets to at least ``priority * big_m(...)``
so that no saving of kilometres can ever pay for a visit left out.  A visit may be
offered as several nodes sharing one ``group`` (a published visit: kept where the
public was told, or moved elsewhere); at most one of them is served.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from tourplan.optimiser.instance import Instance

KM_UNITS = 100  # cost units per km


@dataclass(frozen=True)
class Node:
    """A visit offered to the model."""

    ref: int  # caller's identifier (visit index)
    request: int  # request index
    vehicles: tuple[int, ...]  # positions in the model's vehicle list that may serve it
    penalty: int  # cost of leaving it out
    start_lo: int
    start_hi: int
    extra: int = 0  # cost of serving it as this node
    group: int | None = None  # nodes of one group are alternatives for the same visit


@dataclass(frozen=True)
class GapPair:
    """Two visits of one request: if both served, ``b``'s day is at least ``gap`` days after ``a``'s,
    and when no visit of ``between`` is served either (they are consecutive), at most ``most``."""

    a: int  # node position
    b: int
    gap: int
    most: int | None = None
    between: tuple[int, ...] = ()


def big_m(inst: Instance, n_nodes: int, n_vehicles: int) -> int:
    """Larger than the kilometre cost of any solution of a model this size."""
    longest = float(inst.km.max()) if inst.km.size else 0.0
    return int(math.ceil(longest * KM_UNITS)) * (n_nodes + 2 * n_vehicles) + 1


def solve_model(
    inst: Instance,
    vehicles: Sequence[int],
    nodes: Sequence[Node],
    *,
    time_limit: float,
    initial: Sequence[Sequence[int]] | None = None,
    gaps: Sequence[GapPair] = (),
    first_strategy: str = "PARALLEL_CHEAPEST_INSERTION",
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    on_solution: Callable[[], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[list[int]] | None:
    """Routes (node positions per vehicle position), or None if no solution was found.

    ``initial`` (node positions per vehicle) warm-starts the search; it must be feasible.
    """
    vds = [inst.van_days[i] for i in vehicles]
    depot_locs = sorted({vd.spec.depot for vd in vds})
    depot_node = {loc: i for i, loc in enumerate(depot_locs)}
    nd = len(depot_locs)
    n = nd + len(nodes)
    locs = np.array(depot_locs + [inst.request_loc[x.request] for x in nodes], dtype=np.int64)
    service = [0] * nd + [inst.problem.requests[x.request].duration for x in nodes]
    starts = [depot_node[vd.spec.depot] for vd in vds]
    manager = pywrapcp.RoutingIndexManager(n, len(vds), starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    sub = np.ix_(locs, locs)
    cost = np.rint(inst.km[sub] * KM_UNITS).astype(np.int64)
    extra = np.array([0] * nd + [x.extra for x in nodes], dtype=np.int64)
    if extra.any():
        cost = cost + extra[None, :]  # entering a node pays its extra
    leg = inst.leg[sub].astype(np.int64)
    svc = np.array(service, dtype=np.int64)
    cost_cb = routing.RegisterTransitMatrix(cost.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    time_cb = routing.RegisterTransitMatrix((leg + svc[:, None]).tolist())
    horizon = 24 * 60
    routing.AddDimension(time_cb, horizon, horizon, False, "Time")
    time = routing.GetDimensionOrDie("Time")

    for v, vd in enumerate(vds):
        sp = vd.spec
        time.CumulVar(routing.Start(v)).SetRange(sp.shift_start, sp.shift_end)
        time.CumulVar(routing.End(v)).SetRange(sp.shift_start, sp.shift_end)
    for k, x in enumerate(nodes):
        idx = manager.NodeToIndex(nd + k)
        time.CumulVar(idx).SetRange(x.start_lo, x.start_hi)
        # (SetAllowedVehiclesForIndex does not accept a Python list in this OR-Tools build.)
        routing.VehicleVar(idx).SetValues([-1, *x.vehicles])
        if x.group is None:
            routing.AddDisjunction([idx], int(x.penalty))
    groups: dict[int, list[int]] = {}
    for k, x in enumerate(nodes):
        if x.group is not None:
            groups.setdefault(x.group, []).append(k)
    for members in groups.values():
        routing.AddDisjunction([manager.NodeToIndex(nd + k) for k in members], int(nodes[members[0]].penalty), 1)

    if any(vd.spec.break_minutes for vd in vds):
        visit_transit = [0] * routing.Size()
        for idx in range(routing.Size()):
            node = manager.IndexToNode(idx)
            visit_transit[idx] = service[node]
        for v, vd in enumerate(vds):
            sp = vd.spec
            if not sp.break_minutes:
                continue
            iv = solver.FixedDurationIntervalVar(
                sp.break_earliest, sp.break_latest - sp.break_minutes, sp.break_minutes, False, f"break{v}"
            )
            time.SetBreakIntervalsOfVehicle([iv], v, visit_transit)

    if any(vd.spec.max_drive is not None for vd in vds):
        drive_cb = routing.RegisterTransitMatrix(leg.tolist())
        caps = [int(vd.spec.max_drive) if vd.spec.max_drive is not None else horizon * 10 for vd in vds]
        routing.AddDimensionWithVehicleCapacity(drive_cb, 0, caps, True, "Drive")

    if gaps:
        zero_cb = routing.RegisterUnaryTransitVector([0] * n)
        base = min(vd.ordinal for vd in vds)
        span = max(vd.ordinal for vd in vds) - base
        routing.AddDimension(zero_cb, 0, span, False, "Day")
        dayd = routing.GetDimensionOrDie("Day")
        for v, vd in enumerate(vds):
            dayd.CumulVar(routing.Start(v)).SetValue(vd.ordinal - base)
            dayd.CumulVar(routing.End(v)).SetValue(vd.ordinal - base)
        big = 2 * span + max(g.gap for g in gaps) + 1
        for g in gaps:
            ia = manager.NodeToIndex(nd + g.a)
            ib = manager.NodeToIndex(nd + g.b)
            both_off = 2 - routing.ActiveVar(ia) - routing.ActiveVar(ib)
            solver.Add(dayd.CumulVar(ib) - dayd.CumulVar(ia) + big * both_off >= g.gap)
            if g.most is not None:
                served_between = solver.Sum([routing.ActiveVar(manager.NodeToIndex(nd + k)) for k in g.between]) \
                    if g.between else 0
                solver.Add(dayd.CumulVar(ib) - dayd.CumulVar(ia) - big * both_off - big * served_between <= g.most)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first_strategy)
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
    params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    params.log_search = False

    if on_solution is not None:
        routing.AddAtSolutionCallback(on_solution)
    stop_limit = None  # kept referenced while the search runs
    if should_stop is not None:
        stop_limit = solver.CustomLimit(should_stop)
        routing.AddSearchMonitor(stop_limit)
    if initial is not None:
        routing.CloseModelWithParameters(params)
        routes = [[manager.NodeToIndex(nd + k) for k in r] for r in initial]
        assignment = routing.ReadAssignmentFromRoutes(routes, True)
        if assignment is None:
            solution = routing.SolveWithParameters(params)
        else:
            solution = routing.SolveFromAssignmentWithParameters(assignment, params)
    else:
        solution = routing.SolveWithParameters(params)
    del stop_limit
    if solution is None:
        return None
    out: list[list[int]] = []
    for v in range(len(vds)):
        idx = routing.Start(v)
        route = []
        idx = solution.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            route.append(manager.IndexToNode(idx) - nd)
            idx = solution.Value(routing.NextVar(idx))
        out.append(route)
    return out
