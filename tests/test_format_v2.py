"""Problem-format version 2 (history, published, stability, rhythm): read, written, refereed.

The hand-made problem of tests/builders.py, made a live season: the referee must see
history dates, recompute moved visits and the objective, and refute a locked visit
claimed impossible where it could have stayed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.builders import plan_data, problem_data, v2, v2_plan
from tourplan.checker import check_plan
from tourplan.plan import plan_from_json
from tourplan.problem import ProblemError, problem_from_json


def rules(problem: dict[str, Any], plan: dict[str, Any]) -> set[str]:
    return check_plan(problem_from_json(problem), plan_from_json(plan)).rules_broken()


# --------------------------------------------------------------------------- #
# Reading and writing
# --------------------------------------------------------------------------- #


def test_version_1_and_2_problems_round_trip():
    for data in (problem_data(), v2(history=[{"request": "rC", "occurrence": 1, "date": "2027-02-22"}],
                                    published=[{"request": "rA", "occurrence": 0, "van": "v1",
                                                "date": "2027-03-01", "start": "09:00"}],
                                    stability={"move_cost": 2.5, "start_slack_minutes": 30})):
        p = problem_from_json(data)
        again = problem_from_json(json.loads(json.dumps(p.to_json())))
        assert again == p
        assert again.version == data["version"]


def test_history_occurrences_are_not_planned_and_count_for_no_priority():
    p = problem_from_json(v2(history=[{"request": "rC", "occurrence": 1, "date": "2027-02-22"}]))
    assert ("rC", 1) not in {v.key for v in p.visits}
    assert len(p.visits) == 3 and p.total_priority == 6


def test_version_2_plans_round_trip_with_moved_and_objective():
    plan = plan_from_json(v2_plan(moved=1, objective=5))
    assert (plan.stats.moved, plan.stats.objective) == (1, 5)
    assert plan_from_json(plan.to_json()) == plan


PUBLISHED_A = {"request": "rA", "occurrence": 0, "van": "v1", "date": "2027-03-01", "start": "09:00"}


@pytest.mark.parametrize(
    ("fields", "where", "words"),
    [
        ({"history": [{"request": "rZ", "occurrence": 0, "date": "2027-02-01"}]}, "history[0].request", "rZ"),
        ({"history": [{"request": "rC", "occurrence": 2, "date": "2027-02-01"}]}, "history[0].occurrence",
         "2 occurrence(s)"),
        ({"history": [{"request": "rC", "occurrence": 0, "date": "2027-03-02"}]}, "history[0].date",
         "before the horizon"),
        ({"history": [{"request": "rA", "occurrence": 0, "date": "2027-02-01"}],
          "published": [PUBLISHED_A]}, "published[0]", "both in history and published"),
        ({"history": [{"request": "rA", "occurrence": 0, "date": "2027-02-01"}],
          "locked": [{**PUBLISHED_A, "slack_minutes": 0}]}, "history[0]", "both in history and locked"),
        ({"published": [PUBLISHED_A, PUBLISHED_A]}, "published[1]", "published twice"),
        ({"published": [{**PUBLISHED_A, "van": "v9"}]}, "published[0].van", "v9"),
        ({"published": [{**PUBLISHED_A, "start": "9h"}]}, "published[0].start", "HH:MM"),
        ({"stability": {"move_cost": -1}}, "stability.move_cost", "negative"),
        ({"stability": {"move_cost": 1, "start_slak_minutes": 5}}, "stability.start_slak_minutes",
         "start_slack_minutes"),
    ],
)
def test_hostile_version_2_input_names_the_field(fields, where, words):
    with pytest.raises(ProblemError) as info:
        problem_from_json(v2(**fields), source="live.json")
    assert info.value.where == where
    assert words in info.value.message
    assert str(info.value).startswith(f"live.json: {where}: ")


def test_version_2_fields_in_a_version_1_file_are_refused_not_ignored():
    data = problem_data()
    data["published"] = [PUBLISHED_A]
    with pytest.raises(ProblemError, match='published: is a field of version 2'):
        problem_from_json(data)
    data = problem_data()
    data["requests"][2]["same_weekday"] = True
    with pytest.raises(ProblemError, match=r'requests\[2\].same_weekday: is a field of version 2'):
        problem_from_json(data)


# --------------------------------------------------------------------------- #
# The referee
# --------------------------------------------------------------------------- #


def test_history_dates_count_for_the_spacing_of_planned_visits():
    # rC #1 was held on 2027-02-28; the plan serves rC #0 on 2027-03-08, 8 days later.
    history = [{"request": "rC", "occurrence": 1, "date": "2027-02-28"}]
    plan = v2_plan(visits=3, unserved=0, total_priority=6)
    plan["unserved"] = []
    assert rules(v2(history=history), plan) == set()
    problem = v2(history=history)
    problem["requests"][2]["min_days_between"] = 10
    assert rules(problem, plan) == {"recurrence"}


def test_a_history_visit_planned_again_is_caught():
    history = [{"request": "rC", "occurrence": 0, "date": "2027-02-22"}]
    assert "coverage" in rules(v2(history=history), v2_plan())


def test_moved_published_visits_and_the_objective_are_recomputed():
    # rA #0 was published on 03-02; the plan serves it on 03-01: one move, objective 6 - 2 x 1.
    problem = v2(published=[{**PUBLISHED_A, "date": "2027-03-02"}], stability={"move_cost": 2})
    report = check_plan(problem_from_json(problem), plan_from_json(v2_plan(moved=1, objective=4)))
    assert report.ok, report.text()
    assert (report.moved, report.objective) == (1, 4)
    assert rules(problem, v2_plan(moved=0, objective=6)) == {"stats"}


def test_a_start_within_the_slack_is_not_a_move():
    problem = v2(published=[{**PUBLISHED_A, "start": "09:40"}], stability={"start_slack_minutes": 60})
    assert rules(problem, v2_plan(moved=0)) == set()
    problem["stability"]["start_slack_minutes"] = 30
    assert rules(problem, v2_plan(moved=1)) == set()


def test_a_version_1_plan_of_a_version_2_problem_is_refused():
    assert "version" in rules(v2(), plan_data())


def _rc1_locked_conflict(date: str) -> tuple[dict[str, Any], dict[str, Any]]:
    problem = v2(locked=[{"request": "rC", "occurrence": 1, "van": "v1", "date": date, "start": "09:00"}])
    plan = v2_plan()
    plan["unserved"] = [{"request": "rC", "occurrence": 1, "reason": "locked_conflict", "detail": ""}]
    return problem, plan


def test_a_locked_conflict_is_refuted_where_the_locked_visit_could_have_stayed():
    # rC #1 locked on 03-01 at 09:00 fits before rA in that day's route (break before B),
    # and lies 7 days from rC #0 on 03-08: the claim does not hold.
    problem, plan = _rc1_locked_conflict("2027-03-01")
    assert rules(problem, plan) == {"reason"}


def test_a_locked_conflict_is_accepted_where_the_visit_cannot_stay():
    # 03-04: the van is unavailable; 03-09: one day after rC #0 (at least 7 days required).
    for date in ("2027-03-04", "2027-03-09"):
        problem, plan = _rc1_locked_conflict(date)
        assert rules(problem, plan) == set(), date


def test_rhythm_between_history_and_planned_visits_is_checked():
    plan = v2_plan(visits=3, unserved=0, total_priority=6)
    plan["unserved"] = []
    problem = v2(history=[{"request": "rC", "occurrence": 1, "date": "2027-02-22"}])
    problem["requests"][2]["max_days_between"] = 10  # 02-22 to 03-08 is 14 days
    assert rules(problem, plan) == {"rhythm"}
    problem = v2(history=[{"request": "rC", "occurrence": 1, "date": "2027-02-23"}])
    problem["requests"][2]["same_weekday"] = True  # a Tuesday, then a Monday
    assert rules(problem, plan) == {"rhythm"}


def test_is_feasible_asks_the_referee_not_the_stated_status():
    problem = problem_from_json(problem_data())
    good = plan_from_json(plan_data())
    assert good.is_feasible(problem)
    broken = plan_data()
    broken["routes"][0]["stops"][0]["start"] = "08:00"  # before rA's hours, status still "feasible"
    assert plan_from_json(broken).status == "feasible"
    assert not plan_from_json(broken).is_feasible(problem)
