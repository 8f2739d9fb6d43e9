"""The checker catches each broken rule; a correct hand-made plan passes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import plan_data, problem_data
from tourplan.checker import check_plan
from tourplan.plan import plan_from_json
from tourplan.problem import problem_from_json


def check(problem: dict[str, Any], plan: dict[str, Any]):
    return check_plan(problem_from_json(problem), plan_from_json(plan))


def test_correct_plan_passes_and_figures_are_recomputed():
    report = check(problem_data(), plan_data())
    assert report.ok, report.text()
    assert (report.served, report.served_priority, report.total_priority) == (3, 6, 7)
    assert report.distance_km == pytest.approx(130.0)
    assert report.van_days == 2


def broken(mutate) -> set[str]:
    problem, plan = problem_data(), plan_data()
    mutate(problem, plan)
    return check(problem, plan).rules_broken()


def route(plan, i=0):
    return plan["routes"][i]


def stop(plan, i=0, j=0):
    return plan["routes"][i]["stops"][j]


def _set(obj, key, value):
    obj[key] = value


CASES = {
    # rule -> a mutation that breaks it and nothing else of substance
    "service_day": lambda pb, pl: _set(route(pl, 1), "date", "2027-03-03"),  # closed date
    "shift": lambda pb, pl: _set(pb["vans"][0], "shift", {"start": "08:45", "end": "18:00"}),
    "break": lambda pb, pl: _set(route(pl), "break", {"start": "11:50", "end": "12:35"}),  # overlaps rB
    "max_drive": lambda pb, pl: _set(pb["vans"][0], "max_drive_minutes", 90),
    "equipment": lambda pb, pl: _set(pb["requests"][1], "equipment", ["3d-printer"]),
    "window": lambda pb, pl: _set(pb["requests"][1], "windows", [{"start": "2027-03-02", "end": "2027-03-05"}]),
    "weekday": lambda pb, pl: _set(pb["requests"][1], "weekdays", [2, 3]),
    "hours": lambda pb, pl: _set(pb["requests"][0], "hours", {"earliest_start": "09:30"}),
    "duration": lambda pb, pl: _set(pb["requests"][1], "duration_minutes", 90),
    "travel": lambda pb, pl: _set(stop(pl, 0, 1), "arrive", "11:05"),  # A→B takes 20 min, not 5
    "order": lambda pb, pl: _set(stop(pl, 1), "arrive", "09:10"),  # starts before it arrives
    "locked": lambda pb, pl: _set(pb, "locked", [{"request": "rA", "occurrence": 0, "van": "v1",
                                                  "date": "2027-03-01", "start": "10:00", "slack_minutes": 30}]),
    "required": lambda pb, pl: _set(pb["requests"][2], "required", True),
    "reason": lambda pb, pl: _set(pl["unserved"][0], "reason", "no_van_with_equipment"),
    "stats": lambda pb, pl: _set(pl["stats"], "served_priority", 7),
    "status": lambda pb, pl: _set(pl, "status", "infeasible"),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_checker_catches_each_broken_rule(rule):
    assert rule in broken(CASES[rule])


def test_recurring_visits_too_close_are_caught():
    def mutate(pb, pl):
        pl["routes"][0]["stops"].append(
            {"request": "rC", "occurrence": 1, "arrive": "13:25", "start": "13:25", "end": "14:25"})
        route(pl).update(back="14:55", drive_minutes=100, distance_km=80.0)
        pl["unserved"] = []
        pb["requests"][2]["min_days_between"] = 10  # 1 and 8 March are 7 days apart

    assert "recurrence" in broken(mutate)


def test_van_unavailable_day_is_caught():
    assert "service_day" in broken(lambda pb, pl: _set(route(pl, 1), "date", "2027-03-04"))


def test_missing_break_is_caught():
    assert "break" in broken(lambda pb, pl: route(pl).pop("break"))


def test_break_may_be_taken_on_the_road():
    # Leaving A at 11:00, 20 min of driving and a 45-min break fit before 12:05.
    def mutate(pb, pl):
        stop(pl, 0, 1).update(arrive="12:05", start="12:05", end="13:05")
        route(pl)["break"] = {"start": "11:10", "end": "11:55"}
        pb["vans"][0]["break"] = {"earliest": "11:00", "latest": "14:00", "minutes": 45}
        route(pl)["back"] = "13:50"

    assert broken(mutate) == set()


def test_break_on_the_road_must_leave_time_to_drive():
    def mutate(pb, pl):
        stop(pl, 0, 1).update(arrive="11:50", start="12:45", end="13:45")
        route(pl)["break"] = {"start": "11:00", "end": "11:45"}  # and before 12:00 besides

    assert {"break", "travel"} <= broken(mutate)


def test_visit_served_twice_or_forgotten_is_caught():
    def twice(pb, pl):
        pl["routes"][1]["stops"].append(
            {"request": "rA", "occurrence": 0, "arrive": "10:00", "start": "10:00", "end": "12:00"})

    def forgotten(pb, pl):
        pl["unserved"] = []

    assert "coverage" in broken(twice)
    assert "coverage" in broken(forgotten)


def test_locked_visit_kept_within_its_slack_passes():
    def mutate(pb, pl):
        pb["locked"] = [{"request": "rA", "occurrence": 0, "van": "v1", "date": "2027-03-01",
                         "start": "09:20", "slack_minutes": 30}]

    assert broken(mutate) == set()


def test_too_far_claim_is_refuted_when_a_van_can_serve_it_alone():
    assert "reason" in broken(lambda pb, pl: _set(pl["unserved"][0], "reason", "too_far_for_a_day"))


def test_haversine_travel_is_measured_on_the_format_sphere():
    problem, plan = problem_data(), plan_data()
    problem["travel"] = {"model": "haversine", "circuity": 1.0, "speed_kmh": 60}
    report = check(problem, plan)
    # 0.1° of latitude is 11.12 km on a sphere of radius 6371.0088 km.
    legs = 11.1195 + 11.1195 + 22.2390 + 11.1195 * 2
    assert report.distance_km == pytest.approx(legs, abs=0.01)


def test_report_text_names_route_stop_and_rule():
    problem, plan = problem_data(), plan_data()
    stop(plan, 0, 1)["arrive"] = "11:05"
    text = check(problem, plan).text()
    assert "v1 2027-03-01 stop 2: [travel]" in text
