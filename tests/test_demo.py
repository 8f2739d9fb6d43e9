"""The demo problem: valid, realistic, reproducible from its seed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

import pytest

from tourplan.activities import ACTIVITIES, ACTIVITY_BY_KEY
from tourplan.calendar import local_today, public_holidays
from tourplan.cli import main
from tourplan.communes import load_communes
from tourplan.demo import build_demo_problem, next_monday
from tourplan.problem import Point, ProblemError, haversine_km, problem_from_json

START = "2027-03-01"  # a Monday; spring 2027 holds Easter Monday, Ascension and Whit Monday


@pytest.fixture(scope="module")
def demo():
    return build_demo_problem(department="48", weeks=13, requests=120, seed=1, start=START)


@pytest.fixture(scope="module")
def problem(demo):
    return problem_from_json(demo, source="demo")


@pytest.fixture(scope="module")
def communes():
    return {r.insee: r for r in load_communes(["48"]).records}


def activity_of(label: str):
    name = label.split(" — ")[0]
    return next(a for a in ACTIVITIES if a.name == name)


def test_demo_is_a_valid_problem_with_the_asked_size(problem):
    assert len(problem.requests) == 120
    assert problem.horizon_start == date(2027, 3, 1)
    assert problem.horizon_end == date(2027, 3, 1) + timedelta(weeks=13, days=-1)
    assert problem.weekdays == frozenset({1, 2, 3, 4, 5})


def test_public_holidays_are_closed(problem):
    assert {date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17)} <= problem.closed_dates
    assert all(problem.horizon_start <= d <= problem.horizon_end for d in problem.closed_dates)
    # May Day and 8 May 2027 fall on a Saturday: no service day to close.
    assert date(2027, 5, 1) not in problem.closed_dates


def test_one_van_from_mende_with_the_crews_day(problem):
    (van,) = problem.vans
    assert van.name == "Tiers-Truck" and van.depot_label == "Mende"
    assert haversine_km(van.depot, Point(44.518, 3.501)) < 1.0
    assert (van.shift_start, van.shift_end) == (8 * 60, 18 * 60 + 30)
    assert (van.break_.earliest, van.break_.latest, van.break_.minutes) == (12 * 60, 14 * 60, 45)
    assert van.max_drive_minutes == 240
    assert {"3d-printer", "laptops", "satellite-uplink", "robots"} <= van.equipment


def test_requests_come_from_real_communes_at_their_town_hall_point(problem, communes):
    for r in problem.requests:
        c = communes[r.commune]
        assert (r.location.lat, r.location.lon) == (c.lat, c.lon)
        assert r.label == f"{activity_of(r.label).name} — {c.name}"


def test_requests_lean_towards_small_rural_communes(problem, communes):
    # Demand proportional to population would put most requests in the few towns
    # (Lozère's communes under 1,000 inhabitants hold under half its people: 48 %).
    small = sum(1 for r in problem.requests if communes[r.commune].population < 1000)
    assert small >= 0.75 * len(problem.requests)
    assert len({r.commune for r in problem.requests}) >= 50


def test_requests_follow_the_activity_catalogue(problem):
    seen = Counter(activity_of(r.label).key for r in problem.requests)
    assert set(seen) == set(ACTIVITY_BY_KEY)  # 120 requests hold every kind of activity
    for r in problem.requests:
        a = activity_of(r.label)
        assert r.duration == a.duration_minutes
        assert r.equipment == frozenset(a.equipment)
        assert 1 <= r.priority <= 5 and abs(r.priority - a.priority) <= 1
        if a.recurring:
            assert a.min_occurrences <= r.occurrences <= a.max_occurrences
            assert r.min_days_between == a.min_days_between
        else:
            assert r.occurrences == 1 and r.min_days_between == 0


def test_every_request_is_plausible_for_the_van(problem):
    (van,) = problem.vans
    for r in problem.requests:
        assert van.carries(r.equipment), r.id
        lo, hi = r.hours_on(van)
        assert hi - lo >= r.duration, r.id
        assert len(r.windows) <= 2
        for w in r.windows:
            assert problem.horizon_start <= w.start <= w.end <= problem.horizon_end, r.id
        # At least one service day for each visit, and room for the recurring ones' gaps.
        days = [d for d in problem.days() if problem.is_service_day(d) and r.accepts_day(d)]
        assert len(days) >= 1, r.id
        if r.occurrences > 1:
            assert (days[-1] - days[0]).days >= (r.occurrences - 1) * r.min_days_between, r.id


def test_weekdays_follow_the_town_hall_or_the_school(problem, communes):
    for r in problem.requests:
        a = activity_of(r.label)
        if a.key == "robots-ecole":
            assert r.weekdays == frozenset({1, 2, 4, 5})  # no school on Wednesday
        elif a.at_town_hall and communes[r.commune].opening_days & {1, 2, 3, 4, 5}:
            assert r.weekdays == communes[r.commune].opening_days & {1, 2, 3, 4, 5}, r.id


def test_a_few_required_visits_all_easy(problem):
    required = [r for r in problem.requests if r.required]
    assert 1 <= len(required) <= 6
    (van,) = problem.vans
    for r in required:
        assert r.occurrences == 1 and not r.windows
        assert haversine_km(van.depot, r.location) <= 30.0


def test_same_seed_same_problem_other_seed_other_problem(demo):
    assert build_demo_problem(department="48", weeks=13, requests=120, seed=1, start=START) == demo
    other = build_demo_problem(department="48", weeks=13, requests=120, seed=2, start=START)
    assert other["requests"] != demo["requests"]
    assert other["horizon"] == demo["horizon"]
    assert json.dumps(demo, ensure_ascii=False)  # plain JSON, nothing exotic inside


def test_a_large_demand_brings_a_second_van_from_another_town():
    data = build_demo_problem(department="48", weeks=4, requests=120, seed=1, start=START)
    p = problem_from_json(data)
    assert len(p.requests) == 120
    first, second = p.vans
    assert first.depot_label == "Mende"
    assert haversine_km(first.depot, second.depot) >= 30.0
    assert second.equipment < first.equipment  # one 3D printer in the fleet
    assert p.horizon_end == date(2027, 3, 28)


def test_small_and_empty_demos():
    one_week = problem_from_json(build_demo_problem(weeks=1, requests=5, seed=7, start="2027-01-04"))
    assert len(one_week.requests) == 5
    assert (one_week.horizon_start, one_week.horizon_end) == (date(2027, 1, 4), date(2027, 1, 10))
    assert all(r.occurrences == 1 for r in one_week.requests)  # a 14-day gap cannot repeat in a week
    empty = problem_from_json(build_demo_problem(requests=0, start=START))
    assert empty.requests == ()


def test_other_departements_work_too():
    p = problem_from_json(build_demo_problem(department="2A", weeks=8, requests=30, seed=1, start=START))
    assert p.vans[0].depot_label == "Ajaccio"
    assert all(r.commune.startswith("2A") for r in p.requests)


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"department": "99"}, "department"),
        ({"weeks": 0}, "weeks"),
        ({"requests": -1}, "requests"),
        ({"start": "2027-02-30"}, "start"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, where):
    with pytest.raises(ProblemError) as info:
        build_demo_problem(**{"start": START, **kwargs})
    assert info.value.where == where


def test_default_start_is_the_next_monday():
    assert next_monday(date(2026, 11, 21)) == date(2026, 11, 23)  # a Saturday
    assert next_monday(date(2026, 11, 23)) == date(2026, 11, 30)  # a Monday: the following one
    assert next_monday().isoweekday() == 1 and next_monday() > local_today()


def test_alsace_moselle_keeps_its_own_holidays():
    assert date(2027, 3, 26) in public_holidays("57", date(2027, 3, 1), date(2027, 3, 31))  # Good Friday
    assert date(2027, 3, 26) not in public_holidays("48", date(2027, 3, 1), date(2027, 3, 31))


def test_cli_writes_the_demo_problem(tmp_path):
    out = tmp_path / "p.json"
    args = ["demo-problem", "--department", "48", "--weeks", "2", "--requests", "10", "--seed", "3"]
    assert main([*args, "--start", START, "-o", str(out)]) == 0
    p = problem_from_json(json.loads(out.read_text(encoding="utf-8")), source=str(out))
    assert len(p.requests) == 10 and p.horizon_start == date(2027, 3, 1)


def test_cli_unknown_departement_exits_2_with_one_line(tmp_path, capsys):
    out = tmp_path / "p.json"
    assert main(["demo-problem", "--department", "99", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unknown département '99'" in err and "Traceback" not in err
    assert not out.exists()
