"""The checked hand move as domain code (tourplan.moves, no Flask): every accepted move leaves
a plan the referee passes; a refused one names the rule and the rhythm field it breaks.

The hand-checked problem of tests/builders.py: rC#0 is on Monday 8 March at 9:00, rC#1 is
left out; Monday 1 March holds rA (9:00–11:00) and rB (11:20–12:20)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.builders import plan_data, problem_data, v2, v2_plan
from tourplan.checker import check_plan
from tourplan.moves import MoveError, move_targets, move_visit, unserve_visit
from tourplan.plan import plan_from_json
from tourplan.problem import problem_from_json

MON_1, TUE_2, MON_8, TUE_9 = date(2027, 3, 1), date(2027, 3, 2), date(2027, 3, 8), date(2027, 3, 9)


def _hand(**rc):
    """The hand problem with request rC's fields replaced by ``rc``, and its plan."""
    data = v2()
    data["requests"][2].update(rc)
    return problem_from_json(data), plan_from_json(v2_plan())


def _stop(plan, key):
    return next((r, s) for r in plan.routes for s in r.stops if s.key == key)


def test_a_left_out_visit_moved_into_a_day_is_served_and_the_referee_passes_the_plan():
    problem, plan = _hand()
    moved = move_visit(problem, plan, ("rC", 1), "v1", MON_1)
    assert check_plan(problem, moved).ok
    assert moved.stats.served == 4 and not moved.unserved
    route, _ = _stop(moved, ("rC", 1))
    assert route.day == MON_1 and len(route.stops) == 3


def test_a_move_at_a_chosen_position_puts_the_visit_there():
    problem, plan = _hand()
    moved = move_visit(problem, plan, ("rC", 1), "v1", MON_1, position=0)
    route, _ = _stop(moved, ("rC", 1))
    assert [s.key for s in route.stops] == [("rC", 1), ("rA", 0), ("rB", 0)]
    assert check_plan(problem, moved).ok


@pytest.mark.parametrize("fields, day, position, rule, field", [
    ({"min_days_between": 7}, TUE_9, None, "recurrence", "min_days_between"),
    ({"min_days_between": 0, "max_days_between": 3}, MON_1, None, "rhythm", "max_days_between"),
    ({"min_days_between": 0, "same_weekday": True}, TUE_9, None, "rhythm", "same_weekday"),
    # After rA (9:00–11:00): two hours from rC#0's 9:00.
    ({"min_days_between": 0, "same_start_within_minutes": 30}, MON_1, 1, "rhythm", "same_start_within_minutes"),
])
def test_a_move_that_breaks_the_rhythm_is_refused_naming_the_field(fields, day, position, rule, field):
    problem, plan = _hand(**fields)
    with pytest.raises(MoveError) as e:
        move_visit(problem, plan, ("rC", 1), "v1", day, position=position)
    assert (e.value.rule, e.value.cause) == (rule, field)
    assert e.value.facts["day"] == day


def test_the_rhythm_break_says_which_dates_and_starts():
    problem, plan = _hand(min_days_between=0, max_days_between=3)
    with pytest.raises(MoveError) as e:
        move_visit(problem, plan, ("rC", 1), "v1", MON_1)
    b = e.value.facts["spacing"]
    assert (b.first, b.second, b.gap, b.limit) == (MON_1, MON_8, 7, 3)
    problem, plan = _hand(min_days_between=0, same_start_within_minutes=30)
    with pytest.raises(MoveError) as e:
        move_visit(problem, plan, ("rC", 1), "v1", MON_1, position=1)
    assert e.value.facts["spacing"].starts == (9 * 60, 11 * 60)  # rC#0 at 9:00; after rA, 11:00


@pytest.mark.parametrize("fields, day", [
    ({"min_days_between": 0, "max_days_between": 3}, TUE_9),
    ({"min_days_between": 0, "same_weekday": True}, MON_1),
    ({"min_days_between": 0, "same_start_within_minutes": 240}, MON_1),
])
def test_a_move_that_keeps_the_rhythm_is_accepted(fields, day):
    problem, plan = _hand(**fields)
    moved = move_visit(problem, plan, ("rC", 1), "v1", day)
    report = check_plan(problem, moved)
    assert report.ok, report.text()


def test_the_van_days_own_rules_come_first_with_their_facts():
    problem, plan = _hand()
    with pytest.raises(MoveError) as e:
        move_visit(problem, plan, ("rB", 0), "v1", TUE_9)
    assert e.value.rule == "window" and e.value.facts["windows"] == problem.request_by_id["rB"].windows
    with pytest.raises(MoveError) as e:
        move_visit(problem, plan, ("rC", 1), "v1", date(2027, 3, 4))
    assert (e.value.rule, e.value.cause) == ("service_day", "van")
    with pytest.raises(MoveError) as e:
        move_visit(problem, plan, ("rC", 1), "v9", MON_1)
    assert (e.value.rule, e.value.cause, e.value.facts["van_id"]) == ("unknown", "van", "v9")


def test_moving_the_only_visit_of_a_day_drops_that_van_day_and_restates_the_figures():
    problem, plan = _hand(min_days_between=0)
    moved = move_visit(problem, plan, ("rC", 0), "v1", TUE_2)
    assert [r.day for r in moved.routes] == [MON_1, TUE_2]
    report = check_plan(problem, moved)
    assert report.ok, report.text()
    assert moved.stats.van_days == 2 and moved.stats.distance_km == pytest.approx(report.distance_km, abs=0.1)


def test_the_dates_that_can_take_a_visit_keep_its_spacing():
    problem, plan = _hand()  # at least 7 days from rC#0 on the 8th: only the 1st in the horizon
    assert [(o.van, o.day) for o in move_targets(problem, plan, ("rC", 1))] == [("v1", MON_1)]


def test_the_dates_that_can_take_a_visit_keep_its_weekday_and_never_include_its_own_day():
    problem, plan = _hand(min_days_between=0, same_weekday=True)
    # rC#1 is left out: rC#0 alone may go any service day but its own.
    days = [o.day for o in move_targets(problem, plan, ("rC", 0))]
    assert MON_1 in days and TUE_2 in days and MON_8 not in days
    # rC#1 must share rC#0's Monday: Mondays only, each one the move accepts.
    days = [o.day for o in move_targets(problem, plan, ("rC", 1))]
    assert days and {d.isoweekday() for d in days} == {1}
    for d in days:
        assert check_plan(problem, move_visit(problem, plan, ("rC", 1), "v1", d)).ok


def test_a_locked_visit_lists_no_dates_and_is_not_moved_nor_removed():
    data = problem_data()
    data["locked"] = [{"request": "rA", "occurrence": 0, "van": "v1", "date": "2027-03-01", "start": "09:00"}]
    problem, plan = problem_from_json(data), plan_from_json(plan_data())
    assert move_targets(problem, plan, ("rA", 0)) == []
    with pytest.raises(MoveError) as e:
        move_visit(problem, plan, ("rA", 0), "v1", TUE_2)
    assert (e.value.rule, e.value.cause, e.value.facts["day"]) == ("locked", "elsewhere", MON_1)
    with pytest.raises(MoveError) as e:
        unserve_visit(problem, plan, ("rA", 0))
    assert (e.value.rule, e.value.cause) == ("locked", "remove")


def test_removing_a_visit_by_hand_re_times_its_day_and_the_referee_passes_the_plan():
    problem, plan = _hand()
    left = unserve_visit(problem, plan, ("rB", 0))
    report = check_plan(problem, left)
    assert report.ok, report.text()
    route, _ = _stop(left, ("rA", 0))
    assert [s.key for s in route.stops] == [("rA", 0)]
    assert route.distance_km == 50.0  # depot→A→depot, no longer by B
    assert ("rB", 0) in [u.key for u in left.unserved] and left.stats.served == 2
    assert unserve_visit(problem, left, ("rB", 0)) is left  # not served: nothing to do
