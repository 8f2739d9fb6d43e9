"""Reading problem and plan files: what the operator gets for good and bad input."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.builders import plan_data, problem_data
from tourplan.cli import main
from tourplan.problem import ProblemError, load_problem, problem_from_json, problem_to_json


def error_for(data) -> ProblemError:
    with pytest.raises(ProblemError) as info:
        problem_from_json(data, source="season.json")
    return info.value


def test_defaults_of_the_format_are_applied():
    data = problem_data()
    data["travel"] = None
    del data["horizon"]["closed_dates"]
    p = problem_from_json(data)
    assert p.weekdays == frozenset({1, 2, 3, 4, 5})
    assert p.travel.model == "haversine" and p.travel.circuity == 1.3 and p.travel.speed_kmh == 50
    rA = p.request_by_id["rA"]
    assert (rA.priority, rA.occurrences, rA.min_days_between, rA.required) == (3, 1, 0, False)
    # Hours default to the van's shift.
    assert p.request_by_id["rB"].hours_on(p.vans[0]) == (8 * 60, 18 * 60)


def test_service_days_skip_weekends_closed_dates_and_van_days_off():
    p = problem_from_json(problem_data())
    days = [d for _, d in p.van_days]
    assert date(2027, 3, 3) not in days  # closed
    assert date(2027, 3, 4) not in days  # van unavailable
    assert date(2027, 3, 6) not in days  # Saturday
    assert days[0] == date(2027, 3, 1) and days[-1] == date(2027, 3, 12)
    assert len(days) == 10 - 2


def test_problem_written_back_reads_the_same():
    p = problem_from_json(problem_data())
    assert problem_from_json(json.loads(json.dumps(problem_to_json(p)))) == p


@pytest.mark.parametrize(
    ("mutate", "where", "words"),
    [
        (lambda d: d["requests"][0].__setitem__("windows", [{"start": "2027-03-05", "end": "2027-03-01"}]),
         "requests[0].windows[0].end", "before it starts"),
        (lambda d: d["requests"][1].__setitem__("duration_minutes", -30), "requests[1].duration_minutes",
         "at least 1"),
        (lambda d: d["requests"][2].pop("location"), "requests[2].location", "required"),
        (lambda d: d["vans"][0].__setitem__("equipment", "laptops"), "vans[0].equipment", "expected a list"),
        (lambda d: d["horizon"].__setitem__("start", "01/03/2027"), "horizon.start", "YYYY-MM-DD"),
        (lambda d: d["vans"][0]["shift"].__setitem__("end", "25:00"), "vans[0].shift.end", "not a time"),
        (lambda d: d.__setitem__("locked", [{"request": "rA", "van": "van-9", "date": "2027-03-01",
                                             "start": "09:00"}]), "locked[0].van", "van-9"),
        (lambda d: d.__setitem__("locked", [{"request": "nope", "van": "v1", "date": "2027-03-01",
                                             "start": "09:00"}]), "locked[0].request", "nope"),
        (lambda d: d["requests"][1].__setitem__("weekdays", [1, 8]), "requests[1].weekdays[1]", "1 (Monday)"),
        (lambda d: d["requests"][1].__setitem__("id", "rA"), "requests[1].id", "used twice"),
        (lambda d: d["requests"][1].__setitem__("location", {"lat": 44.3, "lon": 3.0}),
         "requests[1].location", "missing from travel.points"),
        (lambda d: d.__setitem__("version", 3), "version", "versions 1, 2"),
    ],
)
def test_bad_input_names_the_field(mutate, where, words):
    data = problem_data()
    mutate(data)
    err = error_for(data)
    assert err.where == where
    assert words in err.message
    assert str(err).startswith("season.json: " + where)


def test_malformed_json_names_the_line(tmp_path):
    f = tmp_path / "p.json"
    f.write_text('{\n  "version": 1,\n  "name": "x",,\n}\n', encoding="utf-8")
    with pytest.raises(ProblemError, match=r"p\.json: malformed JSON at line 3"):
        load_problem(f)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ProblemError, match="no such file"):
        load_problem(tmp_path / "absent.json")


def write(tmp_path, name, data) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_cli_check_exit_codes(tmp_path, capsys):
    problem = write(tmp_path, "problem.json", problem_data())
    good = write(tmp_path, "good.json", plan_data())
    assert main(["check", problem, good]) == 0
    assert capsys.readouterr().out.startswith("OK")

    bad_plan = plan_data()
    bad_plan["routes"][0]["leave"] = "07:30"
    bad = write(tmp_path, "bad.json", bad_plan)
    assert main(["check", problem, bad]) == 1
    assert "[shift]" in capsys.readouterr().out


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    data = problem_data()
    data["requests"][1]["duration_minutes"] = "une heure"
    problem = write(tmp_path, "problem.json", data)
    plan = write(tmp_path, "plan.json", plan_data())
    assert main(["check", problem, plan]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0
    assert "problem.json: requests[1].duration_minutes: expected a whole number" in err
    assert "Traceback" not in err


def test_cli_bad_plan_field_is_named(tmp_path, capsys):
    problem = write(tmp_path, "problem.json", problem_data())
    bad_plan = plan_data()
    bad_plan["routes"][1]["stops"][0]["start"] = "9h"
    plan = write(tmp_path, "plan.json", bad_plan)
    assert main(["check", problem, plan]) == 2
    assert "plan.json: routes[1].stops[0].start" in capsys.readouterr().err
