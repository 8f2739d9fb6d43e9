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

    # -- engine.Space ---------------------------------------------------- #
    identical = True

    @property
    def vehicles(self) -> int:
        return self.instance.vehicles

    def arc(self, k: int, a: int | None, b: int | None) -> float:
        return self.dist[a or 0][b or 0]

    def removable(self, c: int) -> bool:
        return True

    def neighbours(self, c: int) -> Sequence[int]:
        return self.near[c]

    def extras(self, removed: Sequence[int], where: dict[int, int]) -> Sequence[int]:
        return ()  # every customer is always served

    def prize(self, c: int) -> float:
        return 0.0

    def vehicles_for(self, c: int, where: dict[int, int], touched: set[int]) -> Sequence[int]:
        return range(self.instance.vehicles)

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
    cost = [[model.cost[a][b] for b in nodes] for a in nodes]
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost))
    demand_cb = routing.RegisterUnaryTransitVector([model.demand[a] for a in nodes])
    routing.AddDimensionWithVehicleCapacity(demand_cb, 0, [instance.capacity] * vehicles, True, "load")
    horizon = model.due[0]
    travel = [[model.travel[a][b] for b in nodes] for a in nodes]
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


def solve_instance(instance: SolomonInstance, time_limit: float = 30.0, **options: Any) -> list[list[int]] | None:
    """Least-distance routes (customer numbers), or None when no solution is found.

    A first solution (parallel cheapest insertion, OR-Tools descent), then the engine
    (:func:`engine.improve`) until the time limit: ruin and recreate, an OR-Tools descent
    on *the changed routes alone* (a small model: about ten times faster than one on the
    whole solution, so ten times more iterations), a descent on the whole solution when a
    candidate beats the best, threshold acceptance.

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

    def full_search(routes: list[list[int]], seconds: float) -> list[list[int]]:
        used = [r for r in routes if r]
        start = routing.ReadAssignmentFromRoutes(_padded(manager, used, instance.vehicles), True)
        if start is None:  # cannot happen: the routes were checked with the model's integers
            return routes
        found = routing.SolveFromAssignmentWithParameters(start, _search_parameters(seconds, opts))
        if found is None:
            return routes
        out = _node_routes(manager, routing, found, instance.vehicles)
        return out + [[] for _ in range(instance.vehicles - len(out))]

    def descent(routes: list[list[int]], changed: list[int], seconds: float) -> list[list[int]]:
        ks = [k for k in changed if routes[k]]
        idle = [k for k, r in enumerate(routes) if not r]
        found = _improve_routes(model, [routes[k] for k in ks], min(1, len(idle)),
                                _search_parameters(seconds, opts))
        out = [list(r) for r in routes]
        for k in ks:
            out[k] = []
        slots = ks + [k for k in idle if k not in ks]
        for k, r in zip(slots, found, strict=False):
            out[k] = r
        return out

    knobs = engine.Knobs(accept=opts["accept"], removed=opts["removed"], string=opts["string"],
                         regret_every=opts["regret_every"])
    best = engine.improve(model, first, deadline=deadline, rng=random.Random(opts["seed"]), knobs=knobs,
                          descent=descent, polish_all=full_search,
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
