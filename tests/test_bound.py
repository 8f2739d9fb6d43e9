"""The upper bound on served priority: never below what a valid plan serves, tight when it can be."""

from __future__ import annotations

from tests.builders import at
from tests.builders import request_data as request
from tests.test_optimiser import NO_BREAK, problem, solved
from tests.test_optimiser_live import SPREAD
from tourplan.bound import priority_bound
from tourplan.cli import main


def test_no_valid_plan_serves_more_than_the_bound():
    for p in (problem(SPREAD, [NO_BREAK]), problem([request("perm", at(0.1), occurrences=4, min_days_between=2)])):
        plan = solved(p)
        b = priority_bound(p)
        assert plan.stats.served_priority <= b.served_priority <= p.total_priority


def test_the_bound_sees_that_two_days_hold_two_long_visits_not_three():
    # 400-minute visits in a 600-minute shift: one a day, two days, three visits asked.
    p = problem([request(f"r{i}", at(0.02 * i), duration_minutes=400) for i in range(3)], [NO_BREAK],
                horizon={"start": "2027-03-01", "end": "2027-03-02"})
    assert priority_bound(p).served_priority == 2
    assert solved(p).stats.served_priority == 2


def test_the_bound_command_prints_it(tmp_path, capsys):
    import json

    from tests.builders import problem_data

    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem_data()), encoding="utf-8")
    assert main(["bound", str(path)]) == 0
    assert "served priority is at most" in capsys.readouterr().out
