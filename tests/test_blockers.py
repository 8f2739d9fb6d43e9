"""What blocks a left-out visit on each day that could take it alone (tourplan.blockers)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.builders import A, plan_data, problem_data
from tourplan.blockers import BREAK, MAX_DRIVE, SHIFT, SPACING, VISIT, Blocker, day_options
from tourplan.plan import Plan, Route, Stop, Unserved, plan_from_json
from tourplan.problem import problem_from_json

MON = date(2027, 3, 1)


def _plan(day_stops: dict[date, list[tuple[str, int]]], unserved: list[tuple[str, int]]) -> Plan:
    """Routes naming their stops (day_options reads which visits a van-day holds, not its times)."""
    routes = tuple(Route("v1", d, 480, 600, tuple(Stop(r, o, 540, 540, 600) for r, o in stops))
                   for d, stops in sorted(day_stops.items()))
    return Plan("hand", "feasible", routes, tuple(Unserved(r, o, "capacity") for r, o in unserved))


def _one_day_problem(**van):
    """One service day (Monday 03/01), no break, no driving limit unless given."""
    data = problem_data()
    data["version"] = 2
    data["horizon"] = {"start": "2027-03-01", "end": "2027-03-01"}
    v = data["vans"][0]
    del v["break"], v["max_drive_minutes"]
    v.update(van)
    data["requests"] = [
        {"id": "rA", "location": A, "duration_minutes": 120, "hours": {"earliest_start": "09:00"}},
        {"id": "rD", "location": A, "duration_minutes": 150},
    ]
    return data


def test_a_day_with_room_has_no_blocker_and_spacing_blocks_the_days_too_close():
    problem = problem_from_json(problem_data())
    plan = plan_from_json(plan_data())  # rC #0 on 03/08, rC #1 left out; min_days_between 7
    options = {o.day: o for o in day_options(problem, plan, "rC", 1)}
    # Service days of v1: not 03/03 (closed), not 03/04 (van off), not the weekend.
    assert sorted(options) == [date(2027, 3, d) for d in (1, 2, 5, 8, 9, 10, 11, 12)]
    assert options[MON].fits and options[MON].blockers == ()
    assert options[date(2027, 3, 2)].blockers == (Blocker(SPACING, "rC", 0, day=date(2027, 3, 8)),)
    # 03/08 itself: rC #0 is there (spacing), and the day still has room otherwise.
    assert [b.kind for b in options[date(2027, 3, 8)].blockers] == [SPACING]


def test_history_counts_for_spacing():
    data = problem_data()
    data["version"] = 2
    data["horizon"]["start"] = "2027-03-02"
    data["history"] = [{"request": "rC", "occurrence": 0, "date": "2027-03-01"}]
    problem = problem_from_json(data)
    options = {o.day: o for o in day_options(problem, _plan({}, [("rC", 1)]), "rC", 1)}
    assert options[date(2027, 3, 5)].blockers == (Blocker(SPACING, day=MON),)
    assert options[date(2027, 3, 8)].fits
    with pytest.raises(KeyError, match="history"):
        day_options(problem, _plan({}, []), "rC", 0)


def test_a_locked_visit_that_holds_the_day_is_named():
    data = _one_day_problem(shift={"start": "08:00", "end": "13:00"})
    data["locked"] = [{"request": "rA", "occurrence": 0, "van": "v1", "date": "2027-03-01", "start": "09:00"}]
    data["published"] = [{"request": "rA", "occurrence": 0, "van": "v1", "date": "2027-03-01", "start": "09:00"}]
    (option,) = day_options(problem_from_json(data), _plan({MON: [("rA", 0)]}, [("rD", 0)]), "rD", 0)
    assert option.blockers == (Blocker(VISIT, "rA", 0, locked=True, published=True),)


def test_the_break_and_the_driving_limit_are_named_when_lifting_them_makes_room():
    data = _one_day_problem(shift={"start": "08:00", "end": "14:00"},
                            **{"break": {"earliest": "11:30", "latest": "12:30", "minutes": 45}})
    data["requests"][1]["duration_minutes"] = 90
    data["locked"] = [{"request": "rA", "occurrence": 0, "van": "v1", "date": "2027-03-01", "start": "09:00"}]
    (option,) = day_options(problem_from_json(data), _plan({MON: [("rA", 0)]}, [("rD", 0)]), "rD", 0)
    assert {b.kind for b in option.blockers} == {VISIT, BREAK}

    data = problem_data()
    data["horizon"] = {"start": "2027-03-01", "end": "2027-03-01"}
    del data["vans"][0]["break"]
    data["vans"][0]["max_drive_minutes"] = 90  # depot→B→depot is 90; via A it is 95
    plan = _plan({MON: [("rA", 0)]}, [("rB", 0), ("rC", 0), ("rC", 1)])
    (option,) = day_options(problem_from_json(data), plan, "rB", 0)
    assert option.blockers == (Blocker(VISIT, "rA", 0), Blocker(MAX_DRIVE))


def test_a_day_too_full_for_any_single_change_says_shift():
    data = _one_day_problem(shift={"start": "08:00", "end": "12:30"})
    data["requests"].append({"id": "rX", "location": A, "duration_minutes": 60})
    data["requests"][1]["duration_minutes"] = 170
    (option,) = day_options(problem_from_json(data), _plan({MON: [("rA", 0), ("rX", 0)]}, [("rD", 0)]), "rD", 0)
    assert option.blockers == (Blocker(SHIFT),)


def test_an_unknown_visit_is_a_key_error():
    with pytest.raises(KeyError):
        day_options(problem_from_json(problem_data()), plan_from_json(plan_data()), "rZ", 0)
