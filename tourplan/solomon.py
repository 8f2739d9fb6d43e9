"""Classic Solomon VRPTW instances: read them and score a solution (the referee).

Solving is the tour optimiser's engine (:mod:`tourplan.optimiser.vrptw`, the same
ruin and recreate as ``tourplan solve``), measured against published best-known
results (``python -m tourplan bench solomon FILE``, ``python -m bench.solomon``).

Conventions are those of the distance-only best-known results: Euclidean
distances in real numbers (no rounding), travel time equals distance, a vehicle
may wait for a window to open, must arrive by its due date, and must be back at
the depot by the depot's due date; at most the file's number of vehicles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tourplan.problem import ProblemError

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

    customers = _customers(rows[pos:], source)
    if not customers:
        raise ProblemError("no depot nor customer rows", f"line {len(lines) + 1}", source)
    return SolomonInstance(name, vehicles, cap, tuple(customers))


def _customers(rows: list[tuple[int, str]], source: str) -> list[Customer]:
    """The customer rows (the depot first), each checked with its line number."""
    customers: list[Customer] = []
    seen: dict[int, int] = {}
    for n, content in rows:
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
    return customers


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
