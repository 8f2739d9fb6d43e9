"""Property tests on small random problems: every plan the optimiser writes passes the checker,
every visit is served or explained exactly once, and visits locked from an earlier plan stay put."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tourplan.checker import check_plan
from tourplan.optimiser import Tuning, solve
from tourplan.plan import Plan
from tourplan.problem import format_time, problem_from_json

EQUIPMENT = ["laptops", "3d-printer", "robots"]
DAYS = [f"2027-03-{d:02d}" for d in range(1, 13)]


@st.composite
def problems(draw: st.DrawFn) -> dict[str, Any]:
    n_days = draw(st.integers(2, 10))
    horizon = {"start": DAYS[0], "end": DAYS[n_days - 1],
               "closed_dates": draw(st.lists(st.sampled_from(DAYS[:n_days]), max_size=2, unique=True))}
    vans = []
    for i in range(draw(st.integers(1, 2))):
        van: dict[str, Any] = {
            "id": f"v{i}",
            "depot": {"lat": 44.5 + draw(st.floats(-0.2, 0.2)), "lon": 3.5 + draw(st.floats(-0.2, 0.2))},
            "shift": {"start": format_time(draw(st.integers(7 * 60, 9 * 60))),
                      "end": format_time(draw(st.integers(16 * 60, 19 * 60)))},
            "equipment": draw(st.lists(st.sampled_from(EQUIPMENT), max_size=3, unique=True)),
            "unavailable_dates": draw(st.lists(st.sampled_from(DAYS[:n_days]), max_size=2, unique=True)),
        }
        if draw(st.booleans()):
            van["break"] = {"earliest": "12:00", "latest": "14:00", "minutes": draw(st.sampled_from([30, 45, 60]))}
        if draw(st.booleans()):
            van["max_drive_minutes"] = draw(st.integers(60, 300))
        vans.append(van)
    requests = []
    for i in range(draw(st.integers(1, 9))):
        r: dict[str, Any] = {
            "id": f"r{i}",
            "location": {"lat": 44.5 + draw(st.floats(-0.6, 0.6)), "lon": 3.5 + draw(st.floats(-0.6, 0.6))},
            "duration_minutes": draw(st.sampled_from([30, 60, 90, 120, 180, 240])),
            "priority": draw(st.integers(1, 5)),
            "equipment": draw(st.lists(st.sampled_from(EQUIPMENT), max_size=2, unique=True)),
            "required": draw(st.booleans()) and draw(st.booleans()),
        }
        if draw(st.booleans()):
            a = draw(st.integers(0, n_days - 1))
            b = draw(st.integers(a, n_days - 1))
            r["windows"] = [{"start": DAYS[a], "end": DAYS[b]}]
        if draw(st.booleans()):
            r["weekdays"] = draw(st.lists(st.integers(1, 5), min_size=1, max_size=5, unique=True))
        if draw(st.booleans()):
            lo = draw(st.integers(8 * 60, 14 * 60))
            r["hours"] = {"earliest_start": format_time(lo),
                          "latest_end": format_time(draw(st.integers(lo, 18 * 60)))}
        if draw(st.booleans()):
            r["occurrences"] = draw(st.integers(2, 3))
            r["min_days_between"] = draw(st.integers(0, 5))
        requests.append(r)
    data: dict[str, Any] = {"version": 1, "name": "random", "horizon": horizon, "vans": vans, "requests": requests}
    if draw(st.booleans()):
        points = [v["depot"] for v in vans] + [r["location"] for r in requests]
        n = len(points)
        km = [[0.0 if i == j else float(draw(st.integers(1, 80))) for j in range(n)] for i in range(n)]
        minutes = [[0.0 if i == j else km[i][j] * draw(st.sampled_from([0.8, 1.2, 1.7])) for j in range(n)]
                   for i in range(n)]
        data["travel"] = {"model": "matrix", "points": points, "km": km, "minutes": minutes}
    return data


def assert_sound(problem, plan: Plan) -> None:
    report = check_plan(problem, plan)
    assert report.ok, report.text()
    keys = [s.key for r in plan.routes for s in r.stops] + [u.key for u in plan.unserved]
    assert sorted(keys) == sorted(v.key for v in problem.visits)
    required_left = [u for u in plan.unserved if problem.request_by_id[u.request].required]
    assert (plan.status == "infeasible") == bool(required_left)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_plan_passes_the_checker_and_explains_every_visit(data: dict[str, Any]) -> None:
    problem = problem_from_json(copy.deepcopy(data))
    plan = solve(problem, time_limit=0.6)
    assert_sound(problem, plan)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 15))
def test_visits_locked_from_a_plan_stay_on_their_van_and_date(data: dict[str, Any], slack: int) -> None:
    problem = problem_from_json(copy.deepcopy(data))
    first = solve(problem, time_limit=0.5)
    assert_sound(problem, first)  # the locks below come from it
    served = [(r, s) for r in first.routes for s in r.stops][:3]
    data = copy.deepcopy(data)
    data["locked"] = [{"request": s.request, "occurrence": s.occurrence, "van": r.van, "date": r.day.isoformat(),
                       "start": format_time(s.start), "slack_minutes": slack} for r, s in served]
    locked_problem = problem_from_json(data)
    plan = solve(locked_problem, time_limit=0.5)
    assert_sound(locked_problem, plan)
    where = {s.key: (r.van, r.day, s.start) for r in plan.routes for s in r.stops}
    for r, s in served:
        assert s.key in where, f"locked {s.key} was left out: {plan.unserved}"
        van, day, start = where[s.key]
        assert (van, day) == (r.van, r.day)
        assert abs(start - s.start) <= slack


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_plans_cut_into_blocks_of_van_days_pass_the_checker_too(data: dict[str, Any]) -> None:
    # Small problems are solved in one model; force the rolling decomposition used for seasons.
    problem = problem_from_json(copy.deepcopy(data))
    plan = solve(problem, time_limit=0.8, tuning=Tuning(flat_van_days=0, block_van_days=3))
    assert_sound(problem, plan)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_plans_of_a_long_season_pass_the_checker_too(data: dict[str, Any]) -> None:
    # A long season (a year of three vans) gets its own km phase: visits trading places
    # between full days, then the left-out visits that fit put in; force it on small ones.
    problem = problem_from_json(copy.deepcopy(data))
    plan = solve(problem, time_limit=1.0, tuning=Tuning(flat_van_days=0, block_van_days=1, long_season_blocks=2))
    assert_sound(problem, plan)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.randoms(use_true_random=False))
def test_the_km_phase_never_turns_down_an_insertion_the_day_can_hold(data: dict[str, Any], rnd) -> None:
    # The km phase skips the exact scheduling of a day wherever a quick test (driving limit,
    # windows without the break) says a visit cannot go: that test must never be wrong, or
    # the plan would drive further than it needs to.
    from tourplan.optimiser.instance import build_instance
    from tourplan.optimiser.polish import TourSpace
    from tourplan.optimiser.search import initial_state

    problem = problem_from_json(copy.deepcopy(data))
    state = initial_state(build_instance(problem))
    space = TourSpace(state)
    visits = list(range(len(state.visit_request)))
    for k in range(space.vehicles):
        route: list[int] = []
        for v in rnd.sample(visits, len(visits)):  # a random route the day can hold
            p = rnd.randint(0, len(route))
            if space.route_ok(k, [*route[:p], v, *route[p:]]):
                route.insert(p, v)
        for c in (v for v in visits if v not in route):
            costs = space.insertion_costs(k, route, c)
            for p, cost in enumerate(costs):
                inserted = [*route[:p], c, *route[p:]]
                a = route[p - 1] if p else None
                b = route[p] if p < len(route) else None
                if space.route_ok(k, inserted):
                    assert cost == space.arc(k, a, c) + space.arc(k, c, b) - space.arc(k, a, b), (k, route, p, c)
