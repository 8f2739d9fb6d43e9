"""Solomon VRPTW instances solved by the tour optimiser's engine (:mod:`engine`).

The same :func:`engine.improve` as the tour search's km phase; this module only says
what a Solomon route is (:class:`_Model`, a :class:`engine.Space`), builds the first
solution with OR-Tools and gives the engine its descent (OR-Tools on the routes that
changed).  Reading and scoring stay in :mod:`tourplan.solomon` (the referee).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tourplan.optimiser import engine
from tourplan.problem import ProblemError
from tourplan.solomon import SolomonInstance, check_routes, read_solomon

# OR-Tools works on integers: distances are multiplied by SCALE.  Travel *times*
# are rounded up, so a schedule feasible in scaled integers is feasible in real
# numbers too (every leg is at least as long in the model as in reality, and
# waiting for a window is monotone); costs are rounded to nearest.
SCALE = 10_000


class _Model:
    """The integer data shared by the OR-Tools model and the engine (an :class:`engine.Space`).

    Node ``i`` is ``instance.customers[i]``; node 0 is the depot.
    """

    def __init__(self, instance: SolomonInstance) -> None:
        n = len(instance.customers)
        self.instance = instance
        self.n = n
        self.dist = [[instance.distance(i, j) for j in range(n)] for i in range(n)]
        self.cost = [[round(d * SCALE) for d in row] for row in self.dist]
        service = [round(c.service * SCALE) for c in instance.customers]
        # Travel time rounded up (see SCALE); the service is added at the origin of the leg.
        self.travel = [[service[i] + math.ceil(self.dist[i][j] * SCALE - 1e-9) for j in range(n)] for i in range(n)]
        self.ready = [math.ceil(c.ready * SCALE) for c in instance.customers]
        self.due = [math.floor(c.due * SCALE) for c in instance.customers]
        self.demand = [c.demand for c in instance.customers]
        # Nearest customers first, for the spatially local ruin.
        self.near = [sorted(range(1, n), key=lambda j, i=i: self.dist[i][j])[1:] for i in range(n)]
        # The same as arrays, for the small models of a few routes (cut out in one go).
        self.cost_array, self.travel_array = np.array(self.cost), np.array(self.travel)
        self._times: dict[tuple[int, ...], tuple[list[int], list[int], int] | None] = {}

    def route_ok(self, k: int, route: Sequence[int]) -> bool:
        """Capacity and windows of one route of nodes, in the model's integers."""
        if sum(self.demand[i] for i in route) > self.instance.capacity:
            return False
        t, prev = self.ready[0], 0
        for i in route:
            t = max(t + self.travel[prev][i], self.ready[i])
            if t > self.due[i]:
                return False
            prev = i
        return t + self.travel[prev][0] <= self.due[0]

    def times(self, route: Sequence[int]) -> tuple[list[int], list[int], int] | None:
        """Of a feasible route: the earliest start at each position, the latest start that
        keeps the rest of the route on time, and the load (None when the route breaks a rule).
        Cached by route: the recreate asks about the same routes for one customer after another.
        """
        key = tuple(route)
        if key in self._times:
            return self._times[key]
        if len(self._times) > 100_000:
            self._times.clear()
        travel, ready, due = self.travel, self.ready, self.due
        starts: list[int] = []
        t, prev = ready[0], 0
        for i in route:
            t = max(t + travel[prev][i], ready[i])
            starts.append(t)
            prev = i
        lates = [0] * len(route)
        z, after = due[0], 0
        for pos in range(len(route) - 1, -1, -1):
            i = route[pos]
            z = lates[pos] = min(due[i], z - travel[i][after])
            after = i
        load = sum(self.demand[i] for i in route)
        # On time everywhere exactly when no start is after its latest (the last one's latest
        # includes the way back to the depot).
        ok = load <= self.instance.capacity and all(s <= z for s, z in zip(starts, lates, strict=True))
        found = self._times[key] = (starts, lates, load) if ok else None
        return found

    # -- engine.Space ---------------------------------------------------- #
    identical = True
    extras_first = False  # every customer is served: no extras

    @property
    def vehicles(self) -> int:
        return self.instance.vehicles

    def arc(self, k: int, a: int | None, b: int | None) -> float:
        return self.dist[a or 0][b or 0]

    def insertion_costs(self, k: int, route: Sequence[int], c: int) -> list[float]:
        dist, to_next = self.dist, self.dist[c]
        return [dist[a][c] + to_next[b] - dist[a][b] for a, b in zip([0, *route], [*route, 0], strict=True)]

    def insert_ok(self, k: int, route: Sequence[int], p: int, c: int) -> bool:
        """In constant time from the route's :meth:`times`: ``c`` on time, and the customer
        after it no later than its latest start."""
        known = self.times(route)
        if known is None:
            return self.route_ok(k, [*route[:p], c, *route[p:]])
        starts, lates, load = known
        if load + self.demand[c] > self.instance.capacity:
            return False
        prev = route[p - 1] if p else 0
        t = max((starts[p - 1] if p else self.ready[0]) + self.travel[prev][c], self.ready[c])
        if t > self.due[c]:
            return False
        if p < len(route):
            return t + self.travel[c][route[p]] <= lates[p]
        return t + self.travel[c][0] <= self.due[0]

    def latest(self, c: int) -> float:
        return self.due[c]

    def removable(self, c: int) -> bool:
        return True

    def neighbours(self, c: int) -> Sequence[int]:
        return self.near[c]

    def extras(self, removed: Sequence[int], where: dict[int, int]) -> Sequence[int]:
        return ()  # every customer is always served

    def prize(self, k: int, c: int) -> float:
        return 0.0

    def vehicles_for(self, c: int, where: dict[int, int], touched: set[int]) -> Sequence[int]:
        return range(self.instance.vehicles)

    def allows(self, c: int, k: int, where: dict[int, int]) -> bool:
        return True  # identical vehicles: capacity and windows are the route's rules

    def length(self, routes: Sequence[Sequence[int]]) -> float:
        total = 0.0
        for route in routes:
            prev = 0
            for i in route:
                total += self.dist[prev][i]
                prev = i
            total += self.dist[prev][0]
        return total


def _routing_model(model: _Model, nodes: Sequence[int] | None = None, vehicles: int | None = None) -> tuple[Any, Any]:
    """OR-Tools model of the instance, or of the sub-problem on ``nodes`` (``nodes[0]`` the depot)."""
    from ortools.constraint_solver import pywrapcp

    instance = model.instance
    nodes = list(range(model.n)) if nodes is None else list(nodes)
    vehicles = instance.vehicles if vehicles is None else vehicles
    manager = pywrapcp.RoutingIndexManager(len(nodes), vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    sub = np.ix_(nodes, nodes)
    cost = model.cost_array[sub].tolist()
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost))
    demand_cb = routing.RegisterUnaryTransitVector([model.demand[a] for a in nodes])
    routing.AddDimensionWithVehicleCapacity(demand_cb, 0, [instance.capacity] * vehicles, True, "load")
    horizon = model.due[0]
    travel = model.travel_array[sub].tolist()
    routing.AddDimension(routing.RegisterTransitMatrix(travel), horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for j, a in enumerate(nodes[1:], 1):
        time_dim.CumulVar(manager.NodeToIndex(j)).SetRange(model.ready[a], model.due[a])
    for v in range(vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(model.ready[0], horizon)
        time_dim.CumulVar(routing.End(v)).SetRange(model.ready[0], horizon)
    return manager, routing


def _improve_routes(model: _Model, routes: list[list[int]], spare: int, params: Any) -> list[list[int]]:
    """OR-Tools local search on a few routes alone (plus ``spare`` idle vehicles): fast, local."""
    nodes = [0, *(c for r in routes for c in r)]
    local = {a: j for j, a in enumerate(nodes)}
    vehicles = len(routes) + spare
    manager, routing = _routing_model(model, nodes, vehicles)
    # Closed with *these* parameters first: reading the routes would close the model with the
    # default ones, and the operators chosen in ``params`` would then be silently ignored.
    routing.CloseModelWithParameters(params)
    start = routing.ReadAssignmentFromRoutes(_padded(manager, [[local[c] for c in r] for r in routes], vehicles), True)
    if start is None:
        return routes
    solution = routing.SolveFromAssignmentWithParameters(start, params)
    if solution is None:
        return routes
    return [[nodes[j] for j in r] for r in _node_routes(manager, routing, solution, vehicles)]


# Operators that cannot help here (no optional visits, no pickup-delivery pairs) or that
# are slow insertion-based neighbourhoods: the ruin and recreate already plays their
# part, and without them a local search from a perturbed solution runs about twice as fast.
UNUSED_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
    "use_shortest_path_swap_active",
    "use_shortest_path_two_opt",
    "use_swap_active_chain",
    "use_make_active",
    "use_make_inactive",
    "use_make_chain_inactive",
    "use_swap_active",
    "use_relocate_pair",
    "use_exchange_pair",
    "use_light_relocate_pair",
    "use_relocate_subtrip",  # subtrips are pickup-and-delivery ones
    "use_exchange_subtrip",
)

# Defaults of the search, measured on C101 C201 R101 R112 R201 R211 RC101 RC208 (see
# bench/solomon.py); each can be overridden by a keyword of solve_instance() for tuning.
DEFAULTS: dict[str, Any] = {
    "first": "PARALLEL_CHEAPEST_INSERTION",  # first solution (PATH_CHEAPEST_ARC found none on some files)
    "meta": "GREEDY_DESCENT",  # guided local search was 2-10 times further from the best-known
    "disable": UNUSED_OPERATORS,
    "enable": (),
    "accept": 0.01,  # threshold acceptance: 1 % worse at the start, shrinking to 0 by the deadline
    "removed": 10,  # SISR: average number of customers removed
    "string": 10,  # SISR: longest string removed from one route
    "regret_every": 0,  # every n-th recreate by regret insertion (0: greedy only)
    "empty_route": 0.1,  # chance that a ruin also empties the shortest ruined route
    "seed": 1,
}


def _search_parameters(time_limit: float, options: dict[str, Any]) -> Any:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, options["first"])
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, options["meta"])
    ops = params.local_search_operators
    for name in options["enable"]:
        setattr(ops, name, 3)  # BOOL_TRUE
    for name in options["disable"]:
        setattr(ops, name, 2)  # BOOL_FALSE
    params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    return params


def _node_routes(manager: Any, routing: Any, solution: Any, vehicles: int) -> list[list[int]]:
    routes = []
    for v in range(vehicles):
        route = []
        idx = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(idx):
            route.append(manager.IndexToNode(idx))
            idx = solution.Value(routing.NextVar(idx))
        if route:
            routes.append(route)
    return routes


def _padded(manager: Any, routes: list[list[int]], vehicles: int) -> list[list[int]]:
    """Routes of nodes as OR-Tools wants them: one list of indices per vehicle."""
    return [[manager.NodeToIndex(i) for i in r] for r in routes] + [[] for _ in range(vehicles - len(routes))]


class _Descents:
    """The engine's two OR-Tools descents: on the routes a ruin and recreate changed, and on
    the whole solution (``model``/``routing``, built once) when a candidate beats the best."""

    def __init__(self, model: _Model, manager: Any, routing: Any, opts: dict[str, Any]) -> None:
        self.model, self.manager, self.routing, self.opts = model, manager, routing, opts
        # A recreate often rebuilds routes it built before (one in ten on R112): their
        # descent is remembered rather than run again.
        self.memo: dict[tuple[tuple[int, ...], ...], list[list[int]]] = {}

    def whole(self, routes: list[list[int]], seconds: float) -> list[list[int]]:
        vehicles = self.model.instance.vehicles
        used = [r for r in routes if r]
        start = self.routing.ReadAssignmentFromRoutes(_padded(self.manager, used, vehicles), True)
        if start is None:  # cannot happen: the routes were checked with the model's integers
            return routes
        found = self.routing.SolveFromAssignmentWithParameters(start, _search_parameters(seconds, self.opts))
        if found is None:
            return routes
        out = _node_routes(self.manager, self.routing, found, vehicles)
        return out + [[] for _ in range(vehicles - len(out))]

    def changed(self, routes: list[list[int]], changed: list[int], seconds: float) -> list[list[int]]:
        ks = [k for k in changed if routes[k]]
        idle = [k for k, r in enumerate(routes) if not r]
        key = (*sorted(tuple(routes[k]) for k in ks), () if idle else (0,))
        found = self.memo.get(key)
        if found is None:
            if len(self.memo) > 20_000:
                self.memo.clear()
            found = self.memo[key] = _improve_routes(self.model, [routes[k] for k in ks], min(1, len(idle)),
                                                     _search_parameters(seconds, self.opts))
        out = [list(r) for r in routes]
        for k in ks:
            out[k] = []
        slots = ks + [k for k in idle if k not in ks]
        for k, r in zip(slots, found, strict=False):
            out[k] = list(r)  # the remembered routes stay as they were
        return out


def solve_instance(instance: SolomonInstance, time_limit: float = 30.0, *, max_iterations: int | None = None,
                   **options: Any) -> list[list[int]] | None:
    """Least-distance routes (customer numbers), or None when no solution is found.

    A first solution (parallel cheapest insertion, OR-Tools descent), then the engine
    (:func:`engine.improve`) until the time limit: ruin and recreate, an OR-Tools descent
    on *the changed routes alone* (a small model: about ten times faster than one on the
    whole solution, so ten times more iterations), a descent on the whole solution when a
    candidate beats the best, threshold acceptance.

    With ``max_iterations`` the engine stops after that many iterations instead of at the
    time limit (same seed, same routes: how two versions are compared on a loaded machine).
    ``options`` override :data:`DEFAULTS` (for tuning; unknown keys are an error).
    """
    unknown = set(options) - set(DEFAULTS) - {"stats"}
    if unknown:
        raise TypeError(f"unknown options: {', '.join(sorted(unknown))}")
    opts = {**DEFAULTS, **options}
    if len(instance.customers) == 1:
        return []
    deadline = time.monotonic() + time_limit
    model = _Model(instance)
    manager, routing = _routing_model(model)
    solution = routing.SolveWithParameters(_search_parameters(time_limit, opts))
    if solution is None:
        return None
    first = _node_routes(manager, routing, solution, instance.vehicles)
    first += [[] for _ in range(instance.vehicles - len(first))]
    descents = _Descents(model, manager, routing, opts)
    knobs = engine.Knobs(accept=opts["accept"], removed=opts["removed"], string=opts["string"],
                         regret_every=opts["regret_every"], empty_route=opts["empty_route"])
    best = engine.improve(model, first, deadline=None if max_iterations else deadline,
                          rng=random.Random(opts["seed"]), knobs=knobs, descent=descents.changed,
                          polish_all=descents.whole,
                          max_iterations=max_iterations,
                          stats=options["stats"] if isinstance(options.get("stats"), dict) else None)
    return [[instance.customers[i].number for i in r] for r in best if r]


def solve_solomon_file(path: str | Path, time_limit: float = 30.0, **options: Any) -> dict[str, Any]:
    """Solve one Solomon file; the JSON-ready summary printed by ``bench solomon``."""
    if time_limit <= 0:
        raise ProblemError("--time-limit must be positive", source=str(path))
    instance = read_solomon(path)
    started = time.monotonic()
    found = solve_instance(instance, time_limit, **options)
    seconds = time.monotonic() - started
    routes = found or []
    check = check_routes(instance, routes)
    result: dict[str, Any] = {
        "instance": instance.name,
        "vehicles": len(routes),
        "distance": round(check.distance, 2),
        "feasible": found is not None and check.feasible,
        "seconds": round(seconds, 2),
        "routes": routes,
    }
    if found is None:
        result["problems"] = ["no solution found within the time limit (the instance may be infeasible)"]
    elif check.problems:
        result["problems"] = list(check.problems)
    return result
