"""Solomon VRPTW reader, solver and ``bench solomon`` command, on tiny instances built here."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tourplan.cli import main
from tourplan.optimiser.vrptw import solve_solomon_file
from tourplan.problem import ProblemError
from tourplan.solomon import check_routes, parse_solomon, read_solomon

HEADER = """{name}

VEHICLE
NUMBER     CAPACITY
  {vehicles}         {capacity}

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

"""


def solomon_text(name: str, vehicles: int, capacity: int, rows: list[tuple]) -> str:
    # Windows line ends, as in the published files.
    body = "".join(f"{' '.join(f'{v:>8}' for v in row)}   \n" for row in rows)
    return (HEADER.format(name=name, vehicles=vehicles, capacity=capacity) + body).replace("\n", "\r\n")


def write(tmp_path: Path, text: str, name: str = "T.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def independent_check(rows: list[tuple], capacity: int, vehicles: int, routes: list[list[int]]) -> float:
    """Recompute the tour from the raw rows: every customer once, loads, windows; return the distance."""
    by_no = {r[0]: r for r in rows}
    depot = rows[0]
    assert len(routes) <= vehicles
    visited = [c for route in routes for c in route]
    assert sorted(visited) == sorted(r[0] for r in rows[1:])
    total = 0.0
    for route in routes:
        assert sum(by_no[c][3] for c in route) <= capacity
        t, prev = float(depot[4]), depot
        for c in route:
            cur = by_no[c]
            leg = math.dist(prev[1:3], cur[1:3])
            total += leg
            t = max(t + prev[6] + leg, cur[4])
            assert t <= cur[5] + 1e-9, f"customer {c} reached at {t}, due {cur[5]}"
            prev = cur
        leg = math.dist(prev[1:3], depot[1:3])
        total += leg
        assert t + prev[6] + leg <= depot[5] + 1e-9
    return total


# A depot and 8 scattered customers with windows, service times and a tight capacity.
SCATTERED = [
    (0, 40, 50, 0, 0, 400, 0),
    (1, 45, 68, 10, 0, 120, 10),
    (2, 45, 70, 30, 20, 160, 10),
    (3, 42, 66, 10, 0, 300, 10),
    (4, 20, 30, 20, 50, 200, 10),
    (5, 25, 35, 20, 0, 350, 10),
    (6, 60, 40, 20, 100, 250, 10),
    (7, 65, 45, 10, 0, 90, 10),
    (8, 55, 20, 40, 30, 300, 10),
]

# A depot at the origin and two spokes of two customers each, 10 and 20 away east and north;
# every customer wants 10 (a load of 20 is two of them), all open from 0 to 1000, no service time.
SPOKES = [(0, 0, 0, 0, 0, 1000, 0)] + [
    (no, x, y, 10, 0, 1000, 0) for no, (x, y) in enumerate([(10, 0), (20, 0), (0, 10), (0, 20)], 1)
]


def test_solution_is_feasible_and_distance_is_the_sum_of_its_legs(tmp_path: Path) -> None:
    path = write(tmp_path, solomon_text("TINY8", 4, 60, SCATTERED))
    result = solve_solomon_file(path, time_limit=1)
    assert result["instance"] == "TINY8"
    assert result["feasible"] is True
    assert result["vehicles"] == len(result["routes"]) >= 3  # demand 160 needs 3 loads of 60
    distance = independent_check(SCATTERED, 60, 4, result["routes"])
    assert result["distance"] == pytest.approx(distance, abs=0.005)


def test_known_optimum_two_spokes(tmp_path: Path) -> None:
    # A vehicle carries two: the best is one vehicle per spoke, 40 + 40 = 80 (mixing spokes
    # costs at least 102).
    result = solve_solomon_file(write(tmp_path, solomon_text("SPOKES", 3, 20, SPOKES)), time_limit=1)
    assert result["feasible"] is True
    assert result["distance"] == pytest.approx(80.0)
    assert sorted(sorted(r) for r in result["routes"]) == [[1, 2], [3, 4]]


def test_time_windows_force_the_order_and_waiting_is_allowed(tmp_path: Path) -> None:
    # Customer 2 (20 away) must be reached by 25, customer 1 opens only at 50:
    # the only feasible tour goes to 2 first, then waits at 1.
    rows = [
        (0, 0, 0, 0, 0, 200, 0),
        (1, 10, 0, 5, 50, 100, 5),
        (2, 20, 0, 5, 0, 25, 5),
    ]
    result = solve_solomon_file(write(tmp_path, solomon_text("ORDER", 1, 100, rows)), time_limit=1)
    assert result["feasible"] is True
    assert result["routes"] == [[2, 1]]
    assert result["distance"] == pytest.approx(40.0)


def test_arrival_exactly_on_the_due_date_is_feasible(tmp_path: Path) -> None:
    # Leg of exactly 5 (3-4-5 triangle), due date 5: integer scaling must not lose it.
    rows = [(0, 0, 0, 0, 0, 10, 0), (1, 3, 4, 1, 0, 5, 0)]
    result = solve_solomon_file(write(tmp_path, solomon_text("EXACT", 1, 10, rows)), time_limit=1)
    assert result["feasible"] is True
    assert result["routes"] == [[1]]
    assert result["distance"] == pytest.approx(10.0)


def test_impossible_window_is_reported_infeasible_not_hidden(tmp_path: Path) -> None:
    # Customer 1 is sqrt(2) away but due at 1.4: no vehicle can make it.
    rows = [(0, 0, 0, 0, 0, 100, 0), (1, 1, 1, 1, 0, 1.4, 0)]
    result = solve_solomon_file(write(tmp_path, solomon_text("LATE", 1, 10, rows)), time_limit=1)
    assert result["feasible"] is False


def test_parse_reads_header_and_depot() -> None:
    instance = parse_solomon(solomon_text("TINY8", 4, 60, SCATTERED))
    assert (instance.name, instance.vehicles, instance.capacity) == ("TINY8", 4, 60)
    assert len(instance.customers) == 9
    assert instance.customers[0].due == 400
    assert instance.customers[2].demand == 30 and instance.customers[2].ready == 20


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    text = solomon_text("BAD", 2, 50, SCATTERED[:3]).replace("      45       70", "      45       xx")
    path = write(tmp_path, text)
    bad_line = next(n for n, line in enumerate(text.splitlines(), 1) if "xx" in line)
    with pytest.raises(ProblemError) as err:
        read_solomon(path)
    assert err.value.where == f"line {bad_line}"
    assert err.value.source == str(path)


def test_short_line_and_missing_section_are_errors(tmp_path: Path) -> None:
    short = solomon_text("BAD", 2, 50, SCATTERED[:3]) + "    9  1  2  3\r\n"
    with pytest.raises(ProblemError, match="expected 7 numbers"):
        read_solomon(write(tmp_path, short))
    with pytest.raises(ProblemError, match="VEHICLE"):
        read_solomon(write(tmp_path, "NAME\nCUSTOMER\n", "N.txt"))


def test_cli_bad_file_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = solomon_text("BAD", 2, 50, SCATTERED[:3]) + "    9  1  2  3\r\n"
    path = write(tmp_path, text)
    assert main(["bench", "solomon", str(path), "--time-limit", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and str(path) in err and "line " in err
    assert main(["bench", "solomon", str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt" in capsys.readouterr().err


def test_cli_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    path = write(tmp_path, solomon_text("TINY8", 4, 60, SCATTERED))
    assert main(["bench", "solomon", str(path), "--time-limit", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"instance", "vehicles", "distance", "feasible", "seconds", "routes"}
    assert out["feasible"] is True


def test_bench_without_data_says_so_and_succeeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.solomon import main as bench_main

    assert bench_main(["--data", str(tmp_path)]) == 0
    assert "skipped" in capsys.readouterr().out


def test_bench_reports_gap_to_best_known(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.solomon import main as bench_main

    write(tmp_path, solomon_text("SPOKES", 3, 20, SPOKES), "SPOKES.txt")
    # A made-up best-known distance of 78.4: the optimum 80 is then 2.04 % above it.
    (tmp_path / "bks.csv").write_text(
        "instance,vehicles,distance,objective,source\nSPOKES,2,78.4,distance-only,test\n", encoding="utf-8"
    )
    assert bench_main(["--data", str(tmp_path), "--time-limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "| SPOKES | 2 | 80.00 | yes | 2 | 78.40 | 2.04 |" in out
    assert "Mean gap over 1 feasible instances: 2.04 %" in out
    assert bench_main(["--data", str(tmp_path), "--only", "NOPE"]) == 2


def random_rows(count: int, seed: int) -> list[tuple]:
    """A depot and ``count`` customers with random places, windows and demands (R1-like)."""
    import random

    rng = random.Random(seed)
    rows = [(0, 50, 50, 0, 0, 400, 0)]
    for no in range(1, count + 1):
        ready = rng.randint(80, 250)  # every customer reachable in its window and back by 400
        rows.append((no, rng.randint(0, 100), rng.randint(0, 100), rng.randint(1, 30), ready,
                     ready + rng.randint(10, 60), 10))
    return rows


def test_constant_time_insertion_check_agrees_with_checking_the_whole_route() -> None:
    import random

    from tourplan.optimiser.vrptw import _Model

    model = _Model(parse_solomon(solomon_text("RAND", 10, 200, random_rows(60, 3))))
    rng = random.Random(4)
    feasible = 0
    for _ in range(400):
        route: list[int] = []
        for c in rng.sample(range(1, model.n), 20):
            p = rng.randint(0, len(route))
            if model.route_ok(0, [*route[:p], c, *route[p:]]):
                route.insert(p, c)
        c = rng.choice([x for x in range(1, model.n) if x not in route])
        p = rng.randint(0, len(route))
        expected = model.route_ok(0, [*route[:p], c, *route[p:]])
        assert model.insert_ok(0, route, p, c) is expected
        feasible += expected
    assert 0 < feasible < 400  # both answers were put to the test


def test_same_seed_and_iteration_budget_give_the_same_routes(tmp_path: Path) -> None:
    from tourplan.optimiser.vrptw import solve_instance

    instance = parse_solomon(solomon_text("RAND", 20, 200, random_rows(40, 5)))
    runs = [solve_instance(instance, 60, max_iterations=30, seed=3) for _ in range(2)]
    assert runs[0] == runs[1]
    assert runs[0] is not None and check_routes(instance, runs[0]).feasible


def test_descent_on_changed_routes_uses_the_operators_it_is_given() -> None:
    # Reading the routes into the small model used to close it with the default operators:
    # the ones chosen were then silently ignored.  With every operator off, nothing moves.
    from ortools.constraint_solver import pywrapcp

    from tourplan.optimiser.vrptw import DEFAULTS, _improve_routes, _Model, _search_parameters

    model = _Model(parse_solomon(solomon_text("SPOKES", 3, 40, [
        (0, 0, 0, 0, 0, 1000, 0), (1, 10, 0, 10, 0, 1000, 0), (2, 20, 0, 10, 0, 1000, 0),
        (3, 0, 10, 10, 0, 1000, 0), (4, 0, 20, 10, 0, 1000, 0)])))
    crossed = [[1, 3], [2, 4]]  # each route serves both spokes: far from the best
    every = tuple(f.name for f in pywrapcp.DefaultRoutingSearchParameters().local_search_operators.DESCRIPTOR.fields)
    off = _search_parameters(5, {**DEFAULTS, "disable": every})
    assert _improve_routes(model, crossed, 0, off) == crossed
    on = _search_parameters(5, DEFAULTS)
    assert model.length(_improve_routes(model, crossed, 0, on)) < model.length(crossed) - 1


def test_the_engine_keeps_searching_after_ruins_that_leave_a_customer_without_a_place() -> None:
    # Twenty failed ruins in a row used to end the whole improvement, whatever time was left.
    import random

    from tourplan.optimiser import engine
    from tourplan.optimiser.vrptw import _Model

    model = _Model(parse_solomon(solomon_text("RAND", 12, 200, random_rows(12, 7))))

    class Tight:
        """The model, except that no insertion holds for the first ruins."""

        def __init__(self) -> None:
            self.refused = 0

        def __getattr__(self, name: str):  # noqa: ANN204
            return getattr(model, name)

        def insert_ok(self, k: int, route, p: int, c: int) -> bool:  # noqa: ANN001
            if self.refused < 400:
                self.refused += 1
                return False
            return model.insert_ok(k, route, p, c)

    alone = [[c] for c in range(1, model.n)]  # one vehicle per customer: far from the best
    before = engine.total_cost(model, alone)
    after = engine.improve(Tight(), alone, deadline=None, rng=random.Random(1), max_iterations=200)
    assert check_routes(model.instance, [r for r in after if r]).feasible
    assert engine.total_cost(model, after) < before - 1


def test_a_ruin_and_its_descent_leave_the_routes_they_start_from_as_they_were() -> None:
    # The engine keeps its best and current solutions while it ruins copies of them; the
    # copies share the route lists they do not change (a season has hundreds), so a
    # recreate or a descent that changed a list in place would corrupt the best plan found.
    import copy
    import random

    from tourplan.optimiser import engine
    from tourplan.optimiser.vrptw import _Model

    model = _Model(parse_solomon(solomon_text("RAND", 40, 200, random_rows(40, 11))))
    routes = [[c] for c in range(1, model.n)]
    rng = random.Random(2)
    changed_some = 0
    for i in range(60):
        frozen = copy.deepcopy(routes)
        out = engine.ruin_recreate(model, routes, rng, engine.Knobs(), regret=i % 2 == 1)
        if out is None:
            continue
        found = engine.descend(model, out[0], out[1])
        assert routes == frozen
        assert check_routes(model.instance, [r for r in found if r]).feasible
        assert sorted(c for r in found for c in r) == list(range(1, model.n))
        changed_some += found != routes
        routes = found
    assert changed_some > 10
