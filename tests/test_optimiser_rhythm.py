"""Rhythms (problem-format v2): a training cycle, a regular round, a series already begun.

A 4-session course must not come out on days 1, 15, 16 and 60 at four different hours:
the optimiser keeps max_days_between, same_weekday and same_start_within_minutes, the
referee checks them, and a session the rhythm keeps out says so (reason ``rhythm``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.builders import ProblemBuilder, at, v2, v2_plan
from tests.builders import request_data as request
from tests.test_optimiser import solved
from tourplan.checker import check_plan
from tourplan.plan import plan_from_json
from tourplan.problem import Problem, problem_from_json


def season(requests: list[dict[str, Any]], **kw: Any) -> Problem:
    """A v2 season of two months (March–April 2027), one van without a break."""
    return (ProblemBuilder("rhythms", version=2).horizon("2027-03-01", "2027-04-30").van(lunch=False)
            .requests(*requests).set(**kw).build())


def visits_of(plan, rid: str) -> list[tuple[Any, int]]:
    return sorted((r.day, s.start) for r in plan.routes for s in r.stops if s.request == rid)


# Other demand on every day, so that the rhythm is a real constraint and not a coincidence.
BUSY = [request(f"b{i}", at(0.03 * (i % 5) - 0.06, 0.05), duration_minutes=120, priority=2) for i in range(25)]


def test_a_weekly_cycle_keeps_its_weekday_its_hour_and_its_week():
    cycle = request("cycle", at(0.08), duration_minutes=120, priority=5, occurrences=4,
                    min_days_between=6, max_days_between=8, same_weekday=True, same_start_within_minutes=0)
    plan = solved(season([cycle, *BUSY]), seconds=3)
    sessions = visits_of(plan, "cycle")
    assert len(sessions) == 4
    assert len({d.isoweekday() for d, _ in sessions}) == 1
    assert len({start for _, start in sessions}) == 1
    gaps = [(b[0] - a[0]).days for a, b in zip(sessions, sessions[1:], strict=False)]
    assert all(6 <= g <= 8 for g in gaps), gaps


def test_a_fortnightly_round_stays_within_two_days_of_every_other_week():
    round_ = request("round", at(-0.08), duration_minutes=180, priority=4, occurrences=4,
                     min_days_between=12, max_days_between=16)
    plan = solved(season([round_, *BUSY]), seconds=3)
    days = [d for d, _ in visits_of(plan, "round")]
    assert len(days) == 4
    assert all(12 <= (b - a).days <= 16 for a, b in zip(days, days[1:], strict=False))


def test_a_series_already_begun_keeps_the_weekday_of_its_history():
    # The first session was held on Tuesday 2027-02-23.
    cycle = request("cycle", at(0.08), occurrences=3, min_days_between=6, max_days_between=8, same_weekday=True)
    plan = solved(season([cycle, *BUSY], history=[{"request": "cycle", "occurrence": 0, "date": "2027-02-23"}]),
                  seconds=3)
    days = [d for d, _ in visits_of(plan, "cycle")]
    assert len(days) == 2
    assert {d.isoweekday() for d in days} == {2}
    assert (days[0] - date(2027, 2, 23)).days <= 8


def test_a_session_its_rhythm_keeps_out_is_left_out_for_rhythm():
    # Held on a Tuesday, same weekday asked, but the host now receives only on Mondays.
    cycle = request("cycle", at(0.08), occurrences=2, same_weekday=True, weekdays=[1])
    problem = season([cycle], history=[{"request": "cycle", "occurrence": 0, "date": "2027-02-23"}])
    plan = solved(problem)
    assert [(u.request, u.reason) for u in plan.unserved] == [("cycle", "rhythm")]


def test_the_referee_refutes_a_rhythm_claim_where_the_rhythm_can_be_kept():
    # rC #1 left out "for its rhythm" (at most 10 days from rC #0 on 03-08), yet it fits on
    # 03-01 before rA, 7 days earlier: the claim does not hold.
    problem = v2()
    problem["requests"][2]["max_days_between"] = 10
    plan = v2_plan()
    plan["unserved"] = [{"request": "rC", "occurrence": 1, "reason": "rhythm", "detail": ""}]
    report = check_plan(problem_from_json(problem), plan_from_json(plan))
    assert report.rules_broken() == {"reason"}
    # Without any rhythm on the request, the claim is refused as well.
    problem["requests"][2].pop("max_days_between")
    assert check_plan(problem_from_json(problem), plan_from_json(plan)).rules_broken() == {"reason"}
