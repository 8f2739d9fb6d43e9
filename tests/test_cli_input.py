"""Bad problem files end with exit 2 and one line naming the file and the field, never a traceback.

Each case is a file a person could really write or receive (a typo, a spreadsheet export,
a file truncated or built by a script gone wrong); ``solve`` and ``check`` must both say
what and where, and never accept a file whose meaning they would silently change.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.builders import plan_data, problem_data
from tourplan.cli import EXIT_BAD_INPUT, main


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value

    return mutate


CASES: list[tuple[str, Callable[[dict[str, Any]], None] | str, str]] = [
    ("typo in a field name", _set(["requests", 2, "min_days_betwen"], 7),
     "requests[2].min_days_betwen: unknown field (did you mean 'min_days_between'?)"),
    ("unknown time zone", _set(["timezone"], "Mars/Olympus"), "timezone: 'Mars/Olympus' is not a time zone"),
    ("ISO-week date", _set(["horizon", "start"], "2027-W09-1"), "horizon.start: expected a date YYYY-MM-DD"),
    ("Arabic-Indic digits", _set(["horizon", "end"], "٢٠٢٧-٠٣-١٢"), "horizon.end: expected a date YYYY-MM-DD"),
    ("superscript digits in a time", _set(["vans", 0, "shift", "end"], "²²:00"),
     "vans[0].shift.end: expected a time HH:MM"),
    ("zero duration", _set(["requests", 0, "duration_minutes"], 0), "requests[0].duration_minutes: must be at least 1"),
    ("lock outside the horizon", _set(["locked"], [{"request": "rA", "van": "v1", "date": "2027-04-01",
                                                    "start": "09:00"}]),
     "locked[0].date: 2027-04-01 lies outside the horizon"),
    ("a horizon of eight thousand years", _set(["horizon"], {"start": "0001-01-01", "end": "9999-12-31"}),
     "horizon.end: the horizon spans"),
    ("NaN as a whole number", '"priority": NaN', "NaN is not valid JSON: numbers must be finite"),
    ("Infinity as a whole number", '"priority": Infinity', "Infinity is not valid JSON"),
    ("a 5,000-digit integer", '"priority": ' + "9" * 5000, "malformed JSON"),
    ("JSON nested 100,000 deep", "deep", "nests arrays or objects more than"),
]


def _write(tmp_path: Path, case: Callable[[dict[str, Any]], None] | str) -> Path:
    path = tmp_path / "season.json"
    data = problem_data()
    if callable(case):
        case(data)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    elif case == "deep":
        path.write_text('{"version": 1, "requests": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    else:
        text = json.dumps(copy.deepcopy(data)).replace('"priority": 3', case, 1)
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "case", "expected"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("command", ["solve", "check"])
def test_bad_problem_file_gets_exit_2_and_one_line_naming_the_field(tmp_path, capsys, name, case, expected,
                                                                   command):
    problem = _write(tmp_path, case)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_data()), encoding="utf-8")
    args = ["solve", str(problem), "-q", "--time-limit", "1"] if command == "solve" else \
        ["check", str(problem), str(plan)]
    assert main(args) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"error: {problem}: ")
    assert expected in err
    assert "Traceback" not in err


def test_progress_in_a_log_is_one_line_per_update_not_carriage_returns(tmp_path, capsys):
    problem = tmp_path / "season.json"
    problem.write_text(json.dumps(problem_data()), encoding="utf-8")
    assert main(["solve", str(problem), "--time-limit", "1", "-o", str(tmp_path / "plan.json")]) == 0
    err = capsys.readouterr().err  # captured: not a terminal
    assert "\r" not in err
    updates = [line for line in err.splitlines() if "priority" in line and " s " in line]
    assert updates and all(line.strip().endswith("km") for line in updates)
