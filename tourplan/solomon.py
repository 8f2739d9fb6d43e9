"""Classic Solomon VRPTW instances: read them, solve them with OR-Tools, check the result.

This is a yardstick, not part of a season plan: the OR-Tools routing library the
optimiser is built on, driven by an iterated local search (see
:func:`solve_instance`), measured against published best-known results
(``python -m tourplan bench solomon FILE``, ``python -m bench.solomon``).

Conventions are those of the distance-only best-known results: Euclidean
distances in real numbers (no rounding), travel time equals distance, a vehicle
may wait for a window to open, must arrive by its due date, and must be back at
the depot by the depot's due date; at most the file's number of vehicles.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tourplan.problem import ProblemError

# OR-Tools works on integers: distances are multiplied by SCALE.  Travel *times*
# are rounded up, so a schedule feasible in scaled integers is feasible in real
# numbers too (every leg is at least as long in the model as in reality, and
# waiting for a window is monotone); costs are rounded to nearest.
SCALE = 10_000
# Tolerance of the floating-point check (a route exactly on a due date must pass).
EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class Customer:
    number: int
    x: float
    y: float
    demand: int
    ready: float
    due: float
    service: float


@dataclass(frozen=True, slots=True)
class SolomonInstance:
    """One Solomon file. ``customers[0]`` is the depot."""

    name: str
    vehicles: int
    capacity: int
    customers: tuple[Customer, ...]

    def distance(self, i: int, j: int) -> float:
        """Euclidean distance between the customers at indices ``i`` and ``j``."""
        a, b = self.customers[i], self.customers[j]
        return math.hypot(a.x - b.x, a.y - b.y)


# --------------------------------------------------------------------------- #
# Reading
# --------------------------------------------------------------------------- #


def _numbers(text: str, count: int, what: str, path: str, line_no: int) -> list[float]:
    fields = text.split()
    if len(fields) != count:
        raise ProblemError(
            f"expected {count} numbers ({what}), got {len(fields)}: {text.strip()!r}", f"line {line_no}", path
        )
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise ProblemError(f"expected numbers ({what}), got {text.strip()!r}", f"line {line_no}", path) from None
    if not all(math.isfinite(v) for v in values):
        raise ProblemError(f"numbers must be finite: {text.strip()!r}", f"line {line_no}", path)
    return values


def _whole(value: float, what: str, path: str, line_no: int) -> int:
    if value != int(value):
        raise ProblemError(f"{what} must be a whole number, got {value:g}", f"line {line_no}", path)
    return int(value)


def parse_solomon(text: str, source: str = "<text>") -> SolomonInstance:
    """Parse the classic Solomon text format; errors name ``source`` and the line."""
    lines = text.splitlines()
    # (line number, stripped content) of the non-blank lines: blank lines carry no meaning.
    rows = [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
    if not rows:
        raise ProblemError("empty file, expected a Solomon VRPTW instance", "line 1", source)
    name = rows[0][1]
    pos = 1

    def expect(keyword: str) -> None:
        nonlocal pos
        if pos >= len(rows):
            raise ProblemError(f"file ends before the {keyword} section", f"line {len(lines) + 1}", source)
        n, content = rows[pos]
        if not content.upper().startswith(keyword):
            raise ProblemError(f"expected {keyword!r}, got {content!r}", f"line {n}", source)
        pos += 1

    expect("VEHICLE")
    expect("NUMBER")
    if pos >= len(rows):
        raise ProblemError("file ends before the vehicle number and capacity", f"line {len(lines) + 1}", source)
    n, content = rows[pos]
    number, capacity = _numbers(content, 2, "vehicle number, capacity", source, n)
    vehicles, cap = _whole(number, "vehicle number", source, n), _whole(capacity, "capacity", source, n)
    if vehicles < 1 or cap < 0:
        raise ProblemError("vehicle number must be at least 1 and capacity not negative", f"line {n}", source)
    pos += 1
    expect("CUSTOMER")
    expect("CUST")

    customers: list[Customer] = []
    seen: dict[int, int] = {}
    for n, content in rows[pos:]:
        no, x, y, demand, ready, due, service = _numbers(
            content, 7, "cust no, x, y, demand, ready time, due date, service time", source, n
        )
        number_ = _whole(no, "customer number", source, n)
        if number_ in seen:
            raise ProblemError(f"customer {number_} already given on line {seen[number_]}", f"line {n}", source)
        seen[number_] = n
        if demand < 0 or service < 0:
            raise ProblemError("demand and service time must not be negative", f"line {n}", source)
        if due < ready:
            raise ProblemError(f"due date {due:g} is before ready time {ready:g}", f"line {n}", source)
        customers.append(Customer(number_, x, y, _whole(demand, "demand", source, n), ready, due, service))
    if not customers:
        raise ProblemError("no depot nor customer rows", f"line {len(lines) + 1}", source)
    return SolomonInstance(name, vehicles, cap, tuple(customers))


def read_solomon(path: str | Path) -> SolomonInstance:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise ProblemError(f"cannot be read ({e.strerror or e})", source=str(path)) from None
    return parse_solomon(text, str(path))


# --------------------------------------------------------------------------- #
# Checking (floating point, independent of the solver's integer model)
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, slots=True)
class RouteCheck:
    feasible: bool
    distance: float
    problems: tuple[str, ...]


def check_routes(instance: SolomonInstance, routes: Sequence[Sequence[int]]) -> RouteCheck:
    """Check routes given as customer *numbers*, in real numbers; total distance."""
    index = {c.number: i for i, c in enumerate(instance.customers)}
    depot = instance.customers[0]
    problems: list[str] = []
    served: dict[int, int] = {}
    total = 0.0
    used = [r for r in routes if r]
    if len(used) > instance.vehicles:
        problems.append(f"{len(used)} routes, only {instance.vehicles} vehicles")
    for r, route in enumerate(used):
        prev, t, load = 0, depot.ready, 0
        for number in route:
            i = index.get(number)
            if i is None or i == 0:
                problems.append(f"route {r}: {number} is not a customer")
                continue
            if number in served:
                problems.append(f"customer {number} served twice (routes {served[number]} and {r})")
            served[number] = r
            c = instance.customers[i]
            leg = instance.distance(prev, i)
            total += leg
            t = max(t + instance.customers[prev].service + leg, c.ready)
            if t > c.due + EPSILON:
                problems.append(f"route {r}: customer {number} reached at {t:.4f} after its due date {c.due:g}")
            load += c.demand
            prev = i
        leg = instance.distance(prev, 0)
        total += leg
        back = t + instance.customers[prev].service + leg
        if back > depot.due + EPSILON:
            problems.append(f"route {r}: back at the depot at {back:.4f} after {depot.due:g}")
        if load > instance.capacity:
            problems.append(f"route {r}: load {load} over capacity {instance.capacity}")
    missing = [c.number for c in instance.customers[1:] if c.number not in served]
    if missing:
        problems.append(f"{len(missing)} customers not served: {missing[:10]}")
    return RouteCheck(not problems, total, tuple(problems))


# --------------------------------------------------------------------------- #
# Solving
# --------------------------------------------------------------------------- #


class _Model:
    """The integer data shared by the OR-Tools model and the Python ruin-and-recreate.

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
        self.neighbours = [sorted(range(1, n), key=lambda j, i=i: self.dist[i][j])[1:] for i in range(n)]

    def route_ok(self, route: Sequence[int]) -> bool:
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

    def length(self, routes: Sequence[Sequence[int]]) -> float:
        total = 0.0
        for route in routes:
            prev = 0
            for i in route:
                total += self.dist[prev][i]
                prev = i
            total += self.dist[prev][0]
        return total

    def ruin_recreate(
        self, routes: list[list[int]], rng: random.Random, avg_removed: int, max_string: int
    ) -> tuple[list[list[int]], list[int]] | None:
        """SISR-style perturbation (Christiaens & Vanden Berghe 2020), in short.

        Remove strings of consecutive customers from routes close to a random seed
        customer, then reinsert them one by one at their cheapest feasible place.
        Returns the new routes and the indices of those it changed, or None when a
        customer finds no place and no vehicle is left idle.
        """
        routes = [list(r) for r in routes if r]
        where = {c: k for k, r in enumerate(routes) for c in r}
        avg_len = max(1.0, sum(map(len, routes)) / max(1, len(routes)))
        l_max = min(float(max_string), avg_len)
        k_max = 4 * avg_removed / (1 + l_max) - 1
        k_routes = int(rng.uniform(1, k_max + 1))
        seed = rng.randrange(1, self.n)
        removed: list[int] = []
        ruined: set[int] = set()
        for c in [seed, *self.neighbours[seed]]:
            if len(ruined) >= k_routes:
                break
            k = where.get(c)
            if k is None or k in ruined:
                continue
            route = routes[k]
            size = int(rng.uniform(1, min(len(route), l_max) + 1))
            pos = route.index(c)
            first = rng.randint(max(0, pos - size + 1), min(pos, len(route) - size))
            removed.extend(route[first : first + size])
            del route[first : first + size]
            ruined.add(k)
        touched = {id(routes[k]) for k in ruined}
        routes = [r for r in routes if r]
        # Reinsertion order: random, farthest from the depot, or latest due date first.
        order = rng.randrange(3)
        if order == 0:
            rng.shuffle(removed)
        elif order == 1:
            removed.sort(key=lambda c: -self.dist[0][c])
        else:
            removed.sort(key=lambda c: -self.due[c])
        for c in removed:
            best: tuple[float, int, int] | None = None
            for k, route in enumerate(routes):
                for p in range(len(route) + 1):
                    if rng.random() < 0.01:  # "blinks": a little noise in the greedy insertion
                        continue
                    a = route[p - 1] if p else 0
                    b = route[p] if p < len(route) else 0
                    delta = self.dist[a][c] + self.dist[c][b] - self.dist[a][b]
                    if (best is None or delta < best[0]) and self.route_ok(route[:p] + [c] + route[p:]):
                        best = (delta, k, p)
            # A vehicle left idle is a candidate too: distance-only optima often use more vehicles.
            alone = 2 * self.dist[0][c]
            if len(routes) < self.instance.vehicles and (best is None or alone < best[0]) and self.route_ok([c]):
                best = (alone, len(routes), 0)
                routes.append([])
            if best is None:
                return None
            routes[best[1]].insert(best[2], c)
            touched.add(id(routes[best[1]]))
        routes = [r for r in routes if r]
        return routes, [k for k, r in enumerate(routes) if id(r) in touched]


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
    "full_within": 0.0,  # whole-solution local search when a candidate beats the best by this much
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

    An iterated local search with OR-Tools as its local search:

    1. a first solution (parallel cheapest insertion), OR-Tools descent to a local optimum;
    2. while time remains: ruin and recreate the current solution (SISR-style,
       :meth:`_Model.ruin_recreate`), then an OR-Tools descent on *the changed
       routes alone* (a small model of a few routes: about ten times faster than
       a descent on the whole solution, so ten times more iterations); a candidate
       that beats the best gets a descent on the whole solution too;
    3. threshold acceptance of the new current solution; the best is returned.

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
    best = current = _node_routes(manager, routing, solution, instance.vehicles)
    best_len = current_len = model.length(best)
    rng = random.Random(opts["seed"])

    def full_search(routes: list[list[int]], seconds: float) -> list[list[int]]:
        start = routing.ReadAssignmentFromRoutes(_padded(manager, routes, instance.vehicles), True)
        if start is None:  # cannot happen: the routes were checked with the model's integers
            return routes
        solution = routing.SolveFromAssignmentWithParameters(start, _search_parameters(seconds, opts))
        return routes if solution is None else _node_routes(manager, routing, solution, instance.vehicles)

    iterations = 0
    while (left := deadline - time.monotonic()) > 0.02:
        out = None
        for _ in range(20):  # a recreate that cannot place everyone is simply drawn again
            out = model.ruin_recreate(current, rng, opts["removed"], opts["string"])
            if out is not None:
                break
        if out is None:
            break
        perturbed, touched = out
        changed = set(touched)
        spare = min(1, instance.vehicles - len(perturbed))
        found = [r for k, r in enumerate(perturbed) if k not in changed]
        found += _improve_routes(model, [perturbed[k] for k in touched], spare, _search_parameters(left, opts))
        found_len = model.length(found)
        if found_len < best_len * (1 - opts["full_within"]) - 1e-9:
            found = full_search(found, max(0.01, deadline - time.monotonic()))
            found_len = model.length(found)
        if found_len < best_len - 1e-9:
            best, best_len = found, found_len
        allowed = opts["accept"] * max(0.0, deadline - time.monotonic()) / time_limit
        if found_len < current_len * (1 + allowed) + 1e-9:
            current, current_len = found, found_len
        iterations += 1
    if isinstance(options.get("stats"), dict):  # for tuning: how many iterations fitted in the time
        options["stats"]["iterations"] = iterations
    return [[instance.customers[i].number for i in r] for r in best]


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
