"""The optimiser on a live season (problem-format v2): published visits are promises.

It keeps them where the public was told unless moving pays for itself, moves those a
change forced off their day (never a silent drop when they still fit elsewhere), keeps
the spacing with visits already held, and a stop returns the best plan found so far.
Every plan goes through the referee.
"""

from __future__ import annotations

from typing import Any

from tests.builders import ProblemBuilder, at
from tests.builders import request_data as request
from tests.test_optimiser import solved, stop_of, unserved_of
from tourplan.changes import explain_moves
from tourplan.checker import check_plan
from tourplan.optimiser import solve
from tourplan.problem import Problem

HORIZON = {"start": "2027-03-01", "end": "2027-03-12"}


def live(requests: list[dict[str, Any]], published: list[dict[str, Any]] | None = None, **kw: Any) -> Problem:
    """A v2 season of two weeks (1–12 March 2027), one van without a break, ``published`` visits."""
    return (ProblemBuilder("live", version=2).horizon(**HORIZON).van(lunch=False).requests(*requests)
            .set(published=published or [], **kw).build())


def published_of(plan) -> list[dict[str, Any]]:
    return [{"request": s.request, "occurrence": s.occurrence, "van": r.van, "date": r.day.isoformat(),
             "start": f"{s.start // 60:02d}:{s.start % 60:02d}"} for r in plan.routes for s in r.stops]


SPREAD = [request(f"r{i}", at(0.05 * (i % 4) + 0.02, 0.04 * (i // 4)), duration_minutes=150, priority=1 + i % 3)
          for i in range(10)]


def test_nothing_changed_keeps_every_published_visit_where_it_was():
    first = solved(live(SPREAD))
    pub = published_of(first)
    again = solved(live(SPREAD, pub))
    assert again.stats.moved == 0 and again.version == 2
    assert len(published_of(again)) >= len(pub)
    for a in published_of(again):
        b = next((x for x in pub if (x["request"], x["occurrence"]) == (a["request"], a["occurrence"])), None)
        if b is not None:
            assert (a["van"], a["date"]) == (b["van"], b["date"])
            assert abs(_minutes(a["start"]) - _minutes(b["start"])) <= 60  # the format's default slack


def _minutes(hm: str) -> int:
    return int(hm[:2]) * 60 + int(hm[3:])


def test_a_closed_day_moves_its_published_visits_instead_of_dropping_them():
    first = solved(live(SPREAD))
    pub = published_of(first)
    busiest = max({p["date"] for p in pub}, key=lambda d: sum(p["date"] == d for p in pub))
    on_it = {(p["request"], p["occurrence"]) for p in pub if p["date"] == busiest}
    problem = live(SPREAD, pub, horizon={**HORIZON, "closed_dates": [busiest]})
    plan = solved(problem)
    for key in on_it:
        found = stop_of(plan, *key)
        assert found is not None, f"{key} was dropped although the season has room"
        assert found[0].day.isoformat() != busiest
    moves = explain_moves(problem, plan)
    assert {(m.request, m.occurrence) for m in moves if m.forced} == on_it
    assert all(m.reason == "day_closed" for m in moves if (m.request, m.occurrence) in on_it)
    assert plan.stats.moved == len(moves)


def test_history_keeps_the_spacing_of_a_recurring_request():
    # Two sessions 14 days apart; the first was held on 2027-03-02; re-planned from 2027-03-05.
    req = request("cycle", at(0.05), occurrences=2, min_days_between=14)
    problem = live([req], history=[{"request": "cycle", "occurrence": 0, "date": "2027-03-02"}],
                   horizon={"start": "2027-03-05", "end": "2027-03-31"})
    plan = solved(problem)
    found = stop_of(plan, "cycle", 1)
    assert found is not None and found[0].day.isoformat() >= "2027-03-16"
    assert stop_of(plan, "cycle", 0) is None and unserved_of(plan, "cycle", 0) is None


def test_a_published_visit_moves_only_when_that_pays_for_itself():
    # One day, room for one long visit: a published low-priority one, a new high-priority one.
    horizon = {"start": "2027-03-01", "end": "2027-03-01"}
    old = request("old", at(0.05), duration_minutes=480, priority=1)
    new = request("new", at(-0.05), duration_minutes=480, priority=3)
    pub = [{"request": "old", "occurrence": 0, "van": "v1", "date": "2027-03-01", "start": "09:00"}]
    cheap = solved(live([old, new], pub, horizon=horizon, stability={"move_cost": 1}))
    assert stop_of(cheap, "new") is not None and cheap.stats.moved == 1   # 3 > 1 + 1
    dear = solved(live([old, new], pub, horizon=horizon, stability={"move_cost": 5}))
    assert stop_of(dear, "old") is not None and dear.stats.moved == 0     # 3 < 1 + 5


def test_published_occurrence_numbers_are_kept():
    req = request("perm", at(0.05), occurrences=3, min_days_between=2)
    pub = [{"request": "perm", "occurrence": 2, "van": "v1", "date": "2027-03-02", "start": "09:00"}]
    plan = solved(live([req], pub))
    found = stop_of(plan, "perm", 2)
    assert found is not None and found[0].day.isoformat() == "2027-03-02"


def test_a_stop_returns_the_best_plan_so_far_long_before_the_time_limit():
    calls = []

    def stop_now() -> bool:
        calls.append(1)
        return len(calls) > 1

    problem = live(SPREAD)
    plan = solve(problem, time_limit=120, should_stop=stop_now)
    assert check_plan(problem, plan).ok
    assert plan.stats.served + plan.stats.unserved == len(problem.visits)
    assert plan.stats.solve_seconds < 60  # well before the 120 s it was given


def test_the_same_seed_and_iteration_budget_give_the_same_plan_twice():
    import dataclasses

    problem = live(SPREAD, horizon={"start": "2027-03-01", "end": "2027-03-19"})
    plans = [solve(problem, time_limit=60, seed=7, max_iterations=3) for _ in range(2)]
    for plan in plans:
        assert check_plan(problem, plan).ok
    same = [dataclasses.replace(p, stats=dataclasses.replace(p.stats, solve_seconds=0)) for p in plans]
    assert same[0] == same[1]


def _after_km_phase(problem: Problem) -> dict[str, str]:
    """The km phase alone on the season as published: request -> the date it ends up on."""
    from tourplan.optimiser.instance import build_instance
    from tourplan.optimiser.polish import polish
    from tourplan.optimiser.search import initial_state

    state = initial_state(build_instance(problem))
    state.replace_routes(polish(state, deadline=None, seed=1, max_iterations=200))
    days = {vd.index: vd.day.isoformat() for vd in state.inst.van_days}
    return {problem.requests[state.visit_request[v]].id: days[k] for v, k in state.where.items()}


def test_the_km_phase_moves_a_published_visit_for_one_worth_more_than_the_move():
    # Monday holds one long visit; the published one may go to Tuesday, the new one may not.
    horizon = {"start": "2027-03-01", "end": "2027-03-02"}
    old = request("old", at(0.05), duration_minutes=480, priority=1)
    pub = [{"request": "old", "occurrence": 0, "van": "v1", "date": "2027-03-01", "start": "09:00"}]
    monday_only = {"windows": [{"start": "2027-03-01", "end": "2027-03-01"}], "duration_minutes": 480}
    worth = request("new", at(-0.05), priority=5, **monday_only)
    assert _after_km_phase(live([old, worth], pub, horizon=horizon, stability={"move_cost": 2})) == {
        "new": "2027-03-01", "old": "2027-03-02"}  # 5 gained for 2 paid
    not_worth = request("new", at(-0.05), priority=2, **monday_only)
    assert _after_km_phase(live([old, not_worth], pub, horizon=horizon, stability={"move_cost": 5})) == {
        "old": "2027-03-01"}  # 2 gained for 5 paid: the promise holds


def _after_making_room(problem: Problem) -> dict[str, str]:
    """The making-room pass alone on the season as published: request -> its date."""
    from tourplan.optimiser.instance import build_instance
    from tourplan.optimiser.room import make_room
    from tourplan.optimiser.search import initial_state

    state = initial_state(build_instance(problem))
    make_room(state, deadline=float("inf"))
    days = {vd.index: vd.day.isoformat() for vd in state.inst.van_days}
    return {problem.requests[state.visit_request[v]].id: days[k] for v, k in state.where.items()}


MONDAY_ONLY = {"windows": [{"start": "2027-03-01", "end": "2027-03-01"}], "duration_minutes": 480}
OLD_ON_MONDAY = [{"request": "old", "occurrence": 0, "van": "v1", "date": "2027-03-01", "start": "09:00"}]


def test_a_left_out_visit_takes_the_place_of_a_published_one_that_moves_to_a_free_day():
    two_days = {"start": "2027-03-01", "end": "2027-03-02"}
    old = request("old", at(0.05), duration_minutes=480, priority=1)
    worth = request("new", at(-0.05), priority=5, **MONDAY_ONLY)
    assert _after_making_room(live([old, worth], OLD_ON_MONDAY, horizon=two_days, stability={"move_cost": 2})) == {
        "new": "2027-03-01", "old": "2027-03-02"}  # 5 gained for 2 paid
    assert _after_making_room(live([old, worth], OLD_ON_MONDAY, horizon=two_days, stability={"move_cost": 6})) == {
        "old": "2027-03-01"}  # 5 gained for 6 paid: the promise holds


def test_a_published_visit_gives_its_place_up_only_for_more_than_it_is_worth_with_its_move():
    monday = {"start": "2027-03-01", "end": "2027-03-01"}
    old = request("old", at(0.05), duration_minutes=480, priority=2)
    worth = request("new", at(-0.05), priority=5, **MONDAY_ONLY)
    assert _after_making_room(live([old, worth], OLD_ON_MONDAY, horizon=monday, stability={"move_cost": 2})) == {
        "new": "2027-03-01"}  # 5 gained, 2 + 2 lost: the old one is left out (moved)
    assert _after_making_room(live([old, worth], OLD_ON_MONDAY, horizon=monday, stability={"move_cost": 4})) == {
        "old": "2027-03-01"}  # 5 gained, 2 + 4 lost
    required = request("old", at(0.05), duration_minutes=480, priority=2, required=True)
    assert _after_making_room(live([required, worth], OLD_ON_MONDAY, horizon=monday,
                                   stability={"move_cost": 2})) == {"old": "2027-03-01"}


def test_a_published_visit_gives_its_day_up_to_two_new_ones_when_together_they_are_worth_its_move():
    monday = {"start": "2027-03-01", "end": "2027-03-01"}
    old = request("old", at(0.05), duration_minutes=480, priority=2)
    half_day = {**MONDAY_ONLY, "duration_minutes": 200}
    one, two = request("one", at(-0.05), priority=3, **half_day), request("two", at(-0.04), priority=3, **half_day)
    # Either new one alone gains 3 for the 2 + 2 the old one is worth with its move: no
    # trade; together they gain 6.
    assert _after_making_room(live([old, one, two], OLD_ON_MONDAY, horizon=monday,
                                   stability={"move_cost": 2})) == {"one": "2027-03-01", "two": "2027-03-01"}
    assert _after_making_room(live([old, one, two], OLD_ON_MONDAY, horizon=monday,
                                   stability={"move_cost": 5})) == {"old": "2027-03-01"}  # 6 gained, 7 lost


def test_two_published_visits_give_their_day_up_together_when_one_alone_leaves_too_little_room():
    monday = {"start": "2027-03-01", "end": "2027-03-01"}
    mornings = [request(f"old{i}", at(0.05, 0.01 * i), duration_minutes=200, priority=1) for i in (1, 2)]
    both_told = [{"request": "old1", "occurrence": 0, "van": "v1", "date": "2027-03-01", "start": "09:00"},
                 {"request": "old2", "occurrence": 0, "van": "v1", "date": "2027-03-01", "start": "13:00"}]
    whole_day = request("new", at(-0.05), priority=5, **MONDAY_ONLY)
    # The new visit needs the whole day: both published ones must give way, 2 × (1 + move cost).
    assert _after_making_room(live([*mornings, whole_day], both_told, horizon=monday,
                                   stability={"move_cost": 1})) == {"new": "2027-03-01"}  # 5 gained, 4 lost
    assert _after_making_room(live([*mornings, whole_day], both_told, horizon=monday,
                                   stability={"move_cost": 2})) == {"old1": "2027-03-01", "old2": "2027-03-01"}


def _traded(problem: Problem, routes: dict[str, list[str]]) -> dict[str, set[str]]:
    """The exchange pass alone (engine.exchange) from ``routes`` (date -> request ids):
    date -> the requests it ends up serving."""
    from tourplan.optimiser import engine
    from tourplan.optimiser.instance import build_instance
    from tourplan.optimiser.polish import TourSpace
    from tourplan.optimiser.search import initial_state

    state = initial_state(build_instance(problem))
    visit = {problem.requests[ri].id: vs[0] for ri, vs in enumerate(state.request_visits)}
    day = {vd.day.isoformat(): vd.index for vd in state.inst.van_days}
    state.replace_routes({day[d]: [visit[r] for r in ids] for d, ids in routes.items()})
    space = TourSpace(state)
    after = engine.exchange(space, [state.routes.get(k, []) for k in range(space.vehicles)])
    assert all(space.route_ok(k, r) for k, r in enumerate(after) if r)
    dates = {vd.index: vd.day.isoformat() for vd in state.inst.van_days}
    return {dates[k]: {problem.requests[state.visit_request[v]].id for v in r} for k, r in enumerate(after) if r}


# Two days that hold two of these three-hour visits each, never three: no visit can move
# alone, but two can trade places, so that each day goes one way instead of both.
NORTH_SOUTH = [request(r, at(lat, lon), duration_minutes=180)
               for r, lat, lon in (("n1", 0.3, -0.02), ("n2", 0.3, 0.02), ("s1", -0.3, -0.02), ("s2", -0.3, 0.02))]
CROSSED = {"2027-03-01": ["n1", "s1"], "2027-03-02": ["n2", "s2"]}


def test_two_full_days_that_cross_each_other_trade_visits_so_that_each_goes_one_way():
    two_days = {"start": "2027-03-01", "end": "2027-03-02"}
    traded = _traded(live(NORTH_SOUTH, horizon=two_days), CROSSED)
    assert sorted(map(sorted, traded.values())) == [["n1", "n2"], ["s1", "s2"]]


def test_published_visits_do_not_trade_places_for_kilometres():
    two_days = {"start": "2027-03-01", "end": "2027-03-02"}
    told = [{"request": r, "occurrence": 0, "van": "v1", "date": d, "start": start}
            for d, ids in CROSSED.items() for r, start in zip(ids, ("09:00", "13:30"), strict=True)]
    traded = _traded(live(NORTH_SOUTH, told, horizon=two_days, stability={"move_cost": 1}), CROSSED)
    assert traded == {d: set(ids) for d, ids in CROSSED.items()}
