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
DAY_MINUTES = 24 * 60


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
    solution_limit: int | None = None,
) -> list[list[int]] | None:
    """Routes (node positions per vehicle position), or None if no solution was found.

    Parameters
    ----------
    vehicles
        Van-day indices of the instance, one vehicle each.
    nodes
        The visits offered, with the vehicles that may serve them and their penalties.
    initial
        Node positions per vehicle to start from; it must be feasible.
    gaps
        Day constraints between visits of one request.
    should_stop
        Asked during the search: True ends it with the best solution so far.
    solution_limit
        Stop after this many solutions instead of the clock (reproducible searches).
    """
    m = _Model(inst, [inst.van_days[i] for i in vehicles], nodes)
    m.add_nodes()
    m.add_breaks()
    m.add_drive_limit()
    if gaps:
        m.add_day_gaps(gaps)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first_strategy)
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
    params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    if solution_limit is not None:
        params.solution_limit = solution_limit
    params.log_search = False
    return m.solve(params, initial, on_solution, should_stop)


class _Model:
    """One OR-Tools routing model: depots first, then the offered visits, one vehicle per van-day."""

    def __init__(self, inst: Instance, vds: list, nodes: Sequence[Node]) -> None:
        self.inst, self.vds, self.nodes = inst, vds, nodes
        depot_locs = sorted({vd.spec.depot for vd in vds})
        depot_node = {loc: i for i, loc in enumerate(depot_locs)}
        self.nd = nd = len(depot_locs)
        self.n = nd + len(nodes)
        locs = np.array(depot_locs + [inst.request_loc[x.request] for x in nodes], dtype=np.int64)
        self.service = [0] * nd + [inst.problem.requests[x.request].duration for x in nodes]
        starts = [depot_node[vd.spec.depot] for vd in vds]
        self.manager = pywrapcp.RoutingIndexManager(self.n, len(vds), starts, starts)
        self.routing = routing = pywrapcp.RoutingModel(self.manager)
        self.solver = routing.solver()
        sub = np.ix_(locs, locs)
        cost = np.rint(inst.km[sub] * KM_UNITS).astype(np.int64)
        extra = np.array([0] * nd + [x.extra for x in nodes], dtype=np.int64)
        if extra.any():
            cost = cost + extra[None, :]  # entering a node pays its extra
        self.leg = inst.leg[sub].astype(np.int64)
        routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost.tolist()))
        svc = np.array(self.service, dtype=np.int64)
        time_cb = routing.RegisterTransitMatrix((self.leg + svc[:, None]).tolist())
        routing.AddDimension(time_cb, DAY_MINUTES, DAY_MINUTES, False, "Time")
        self.time = routing.GetDimensionOrDie("Time")
        for v, vd in enumerate(vds):
            self.time.CumulVar(routing.Start(v)).SetRange(vd.spec.shift_start, vd.spec.shift_end)
            self.time.CumulVar(routing.End(v)).SetRange(vd.spec.shift_start, vd.spec.shift_end)

    def index(self, k: int) -> int:
        return self.manager.NodeToIndex(self.nd + k)

    def add_nodes(self) -> None:
        routing = self.routing
        groups: dict[int, list[int]] = {}
        for k, x in enumerate(self.nodes):
            idx = self.index(k)
            self.time.CumulVar(idx).SetRange(x.start_lo, x.start_hi)
            # (SetAllowedVehiclesForIndex does not accept a Python list in this OR-Tools build.)
            routing.VehicleVar(idx).SetValues([-1, *x.vehicles])
            if x.group is None:
                routing.AddDisjunction([idx], int(x.penalty))
            else:
                groups.setdefault(x.group, []).append(k)
        for members in groups.values():
            routing.AddDisjunction([self.index(k) for k in members], int(self.nodes[members[0]].penalty), 1)

    def add_breaks(self) -> None:
        if not any(vd.spec.break_minutes for vd in self.vds):
            return
        visit_transit = [self.service[self.manager.IndexToNode(idx)] for idx in range(self.routing.Size())]
        for v, vd in enumerate(self.vds):
            sp = vd.spec
            if sp.break_minutes:
                iv = self.solver.FixedDurationIntervalVar(
                    sp.break_earliest, sp.break_latest - sp.break_minutes, sp.break_minutes, False, f"break{v}"
                )
                self.time.SetBreakIntervalsOfVehicle([iv], v, visit_transit)

    def add_drive_limit(self) -> None:
        if all(vd.spec.max_drive is None for vd in self.vds):
            return
        drive_cb = self.routing.RegisterTransitMatrix(self.leg.tolist())
        caps = [int(vd.spec.max_drive) if vd.spec.max_drive is not None else DAY_MINUTES * 10 for vd in self.vds]
        self.routing.AddDimensionWithVehicleCapacity(drive_cb, 0, caps, True, "Drive")

    def add_day_gaps(self, gaps: Sequence[GapPair]) -> None:
        """A day dimension (each vehicle's day, constant along its route) and the gaps between visits."""
        routing, solver = self.routing, self.solver
        base = min(vd.ordinal for vd in self.vds)
        span = max(vd.ordinal for vd in self.vds) - base
        routing.AddDimension(routing.RegisterUnaryTransitVector([0] * self.n), 0, span, False, "Day")
        day = routing.GetDimensionOrDie("Day")
        for v, vd in enumerate(self.vds):
            day.CumulVar(routing.Start(v)).SetValue(vd.ordinal - base)
            day.CumulVar(routing.End(v)).SetValue(vd.ordinal - base)
        big = 2 * span + max(g.gap for g in gaps) + 1
        for g in gaps:
            ia, ib = self.index(g.a), self.index(g.b)
            both_off = 2 - routing.ActiveVar(ia) - routing.ActiveVar(ib)
            solver.Add(day.CumulVar(ib) - day.CumulVar(ia) + big * both_off >= g.gap)
            if g.most is not None:
                between = solver.Sum([routing.ActiveVar(self.index(k)) for k in g.between]) if g.between else 0
                solver.Add(day.CumulVar(ib) - day.CumulVar(ia) - big * both_off - big * between <= g.most)

    def solve(self, params, initial, on_solution, should_stop) -> list[list[int]] | None:  # noqa: ANN001
        routing = self.routing
        if on_solution is not None:
            routing.AddAtSolutionCallback(on_solution)
        stop_limit = None  # kept referenced while the search runs
        if should_stop is not None:
            stop_limit = self.solver.CustomLimit(should_stop)
            routing.AddSearchMonitor(stop_limit)
        solution = None
        if initial is not None:
            routing.CloseModelWithParameters(params)
            assignment = routing.ReadAssignmentFromRoutes([[self.index(k) for k in r] for r in initial], True)
            if assignment is not None:
                solution = routing.SolveFromAssignmentWithParameters(assignment, params)
        if solution is None:
            solution = routing.SolveWithParameters(params)
        del stop_limit
        if solution is None:
            return None
        out: list[list[int]] = []
        for v in range(len(self.vds)):
            route = []
            idx = solution.Value(routing.NextVar(routing.Start(v)))
            while not routing.IsEnd(idx):
                route.append(self.manager.IndexToNode(idx) - self.nd)
                idx = solution.Value(routing.NextVar(idx))
            out.append(route)
        return out
