"""A season that lives: re-planning through the one export keeps its promises (issue 8, web side).

The real optimiser runs with small time limits; the referee (tourplan.checker) judges its plans.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests import test_db_tours
from tests.test_db_tours import solver_placing
from tourplan.checker import check_plan
from tourplan.plan import plan_from_json
from tourplan.problem import problem_from_json
from web.desk.models import VisitPin
from web.tours.models import Visit
from web.tours.operations import export_problem, plan_season, publish_version

TUE, WED, FRI = date(2027, 3, 2), date(2027, 3, 10), date(2027, 3, 5)

#: The season of the tours tests: one van, 30 minutes of lock slack.
season = test_db_tours.season


def _publish(season, where, today=date(2027, 3, 1)):
    version = plan_season(season, solver=solver_placing(where), today=today, created_by="op")
    return publish_version(version.id, by="op")


def _scheduled(session) -> dict[tuple[int, int], Visit]:
    session.expire_all()
    return {(v.request_id, v.occurrence): v for v in session.execute(select(Visit)).scalars()}


def test_a_recurring_request_keeps_its_spacing_from_a_visit_already_held(season, make, db_session):
    req = make.request(season, make.commune(), occurrences=2, min_days_between=14, priority=5)
    db_session.commit()
    _publish(season, {(req.id, 0): (TUE, 600)})
    exported = export_problem(season, today=FRI)
    assert exported.data["history"] == [{"request": f"R{req.id}", "occurrence": 0, "date": "2027-03-02"}]
    draft = plan_season(season, time_limit=1.5, today=FRI, created_by="op")
    problem = problem_from_json(draft.problem_json)
    plan = plan_from_json(draft.plan_json)
    assert check_plan(problem, plan).ok, check_plan(problem, plan).text()
    (row,) = [r for r in draft.rows if r.request_id == req.id]
    assert row.occurrence == 1
    assert row.date >= date(2027, 3, 16)  # 14 days after the visit of 03-02, not 03-05


def test_the_command_line_keeps_the_operators_lock(season, make, db_session, runner):
    a, b = (make.request(season, make.commune(), priority=2) for _ in range(2))
    db_session.commit()
    van = season_van(db_session)
    db_session.add(VisitPin(season_id=season.id, request_id=a.id, occurrence=0, kind="lock", van_id=van.id,
                            date=date(2027, 3, 24), start=14 * 60 + 15, created_by="ops"))
    db_session.commit()
    result = runner.invoke(args=["tourplan", "plan", "--season", season.slug, "--time-limit", "1",
                                 "--today", "2027-03-01"])
    assert result.exit_code == 0, result.output
    from web.tours.models import TourVersion

    version = db_session.execute(select(TourVersion)).scalar_one()
    assert {lk["request"] for lk in version.problem_json["locked"]} == {f"R{a.id}"}
    rows = {r.request_id: r for r in version.rows}
    assert (rows[a.id].date, rows[a.id].start, rows[a.id].van_id) == (date(2027, 3, 24), 14 * 60 + 15, van.id)
    assert b.id in rows


def season_van(session):
    from web.vans.models import Van

    return session.execute(select(Van)).scalars().first()


def test_a_closed_day_moves_its_published_visits_it_does_not_cancel_them(season, make, db_session):
    a, b, c = (make.request(season, make.commune(), priority=2) for _ in range(3))
    db_session.commit()
    _publish(season, {(a.id, 0): (WED, 540), (b.id, 0): (WED, 660), (c.id, 0): (date(2027, 3, 11), 540)})
    before = _scheduled(db_session)
    season.closed_dates = ["2027-03-10"]
    db_session.commit()
    exported = export_problem(season, today=FRI)
    # Frozen (within 14 days of 03-05) but made impossible: flagged, only published, not locked.
    assert exported.forced == {(a.id, 0): "day_closed", (b.id, 0): "day_closed"}
    assert {lk["request"] for lk in exported.data["locked"]} == {f"R{c.id}"}
    assert {p["request"] for p in exported.data["published"]} == {f"R{a.id}", f"R{b.id}", f"R{c.id}"}
    draft = plan_season(season, time_limit=1.5, today=FRI, created_by="op")
    assert check_plan(problem_from_json(draft.problem_json), plan_from_json(draft.plan_json)).ok
    result = publish_version(draft.id, by="op")
    assert result.cancelled == 0
    after = _scheduled(db_session)
    for key in ((a.id, 0), (b.id, 0)):
        assert after[key].id == before[key].id and after[key].status == "scheduled"
        assert after[key].date != WED and after[key].date >= FRI and after[key].revision == 1
    assert (after[(c.id, 0)].date, after[(c.id, 0)].status) == (date(2027, 3, 11), "scheduled")  # frozen


def test_a_van_day_off_or_a_changed_request_flags_its_published_visits(season, make, db_session):
    a, b, c = (make.request(season, make.commune()) for _ in range(3))
    db_session.commit()
    _publish(season, {(a.id, 0): (WED, 540), (b.id, 0): (date(2027, 3, 11), 540), (c.id, 0): (date(2027, 3, 12), 540)})
    van = season_van(db_session)
    van.days_off = ["2027-03-10"]
    b.weekdays = [1, 2]  # 03-11 is a Thursday
    c.equipment = ["laser-cutter"]
    db_session.commit()
    assert export_problem(season, today=FRI).forced == {
        (a.id, 0): "van_unavailable", (b.id, 0): "request_changed", (c.id, 0): "request_changed"}


def test_allow_to_move_keeps_a_frozen_visit_out_of_locked_until_it_is_published_again(season, make, db_session):
    a, b = (make.request(season, make.commune()) for _ in range(2))
    db_session.commit()
    _publish(season, {(a.id, 0): (WED, 540), (b.id, 0): (date(2027, 3, 11), 540)})
    van = season_van(db_session)
    db_session.add_all([
        VisitPin(season_id=season.id, request_id=a.id, occurrence=0, kind="unlock"),
        VisitPin(season_id=season.id, request_id=b.id, occurrence=0, kind="lock", van_id=van.id,
                 date=date(2027, 3, 11), start=540),
    ])
    db_session.commit()
    exported = export_problem(season, today=FRI)
    assert [(lk["request"], lk["slack_minutes"]) for lk in exported.data["locked"]] == [(f"R{b.id}", 0)]
    assert f"R{a.id}" in {p["request"] for p in exported.data["published"]}
    # Publishing again makes a fresh promise: the "allow to move" ends, the lock stays.
    _publish(season, {(a.id, 0): (WED, 540), (b.id, 0): (date(2027, 3, 11), 540)}, today=FRI)
    pins = {p.request_id: p.kind for p in db_session.execute(select(VisitPin)).scalars()}
    assert pins == {b.id: "lock"}
    assert {lk["request"] for lk in export_problem(season, today=FRI).data["locked"]} == {f"R{a.id}", f"R{b.id}"}


def test_a_cancelled_request_frees_its_slot_in_the_next_export(make, db_session):
    from web.requests.operations import cancel

    # Cancellation compares with the real today: this season lies far in the future.
    make.van()
    far = make.season("far", start=date(2099, 3, 2), end=date(2099, 3, 31))
    a, b = (make.request(far, make.commune()) for _ in range(2))
    db_session.commit()
    _publish(far, {(a.id, 0): (date(2099, 3, 3), 540), (b.id, 0): (date(2099, 3, 3), 660)}, today=far.start)
    cancel(a, by="commune", note="la salle n'est plus libre")
    db_session.commit()
    data = export_problem(far, today=far.start).data
    assert [r["id"] for r in data["requests"]] == [f"R{b.id}"]
    assert [(p["request"], p["start"]) for p in data["published"]] == [(f"R{b.id}", "11:00")]
    assert [lk["request"] for lk in data["locked"]] == [f"R{b.id}"]


def test_v2_exports_round_trip(season, make, db_session):
    a = make.request(season, make.commune(), occurrences=3, min_days_between=7, weekdays=[2, 3],
                     earliest_start=9 * 60, latest_end=17 * 60)
    db_session.commit()
    _publish(season, {(a.id, 0): (TUE, 600), (a.id, 1): (WED, 600)})
    data = export_problem(season, today=FRI).data
    assert data["version"] == 2 and data["history"] and data["published"] and data["locked"]
    assert problem_from_json(data).to_json() == data
