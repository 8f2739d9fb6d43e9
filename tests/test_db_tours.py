"""Tour versions: export, import, publication with stable visits, failures, conflicts."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from tourplan.moves import moved_count
from tourplan.plan import Plan, Route, Stats, Stop, Unserved, objective_value
from tourplan.problem import Problem, ProblemError, problem_from_json
from web.core.errors import ConflictError, OperationError
from web.desk.models import VisitPin
from web.extensions import db
from web.requests.operations import cancel
from web.tours.models import TourVersion, Visit
from web.tours.operations import (
    PlanningError,
    export_problem,
    import_plan,
    parse_problem_request_id,
    plan_season,
    publish_version,
)

MON, TUE, WED, THU = date(2027, 3, 1), date(2027, 3, 2), date(2027, 3, 3), date(2027, 3, 4)


def handmade_plan(problem: Problem, where: dict[tuple[int, int], tuple[date, int]], van: str = "truck-1") -> Plan:
    """A valid plan placing visits (request db id, occurrence) -> (day, start); every place is
    at the depot (no driving), anything not placed is left out for capacity."""
    by_rid = {parse_problem_request_id(r.id)[0]: r for r in problem.requests}
    days: dict[date, list[Stop]] = {}
    served = set()
    for (rid, occ), (day, start) in where.items():
        req = by_rid[rid]
        _, remaining = parse_problem_request_id(req.id)
        j = remaining.index(occ) if remaining else occ
        days.setdefault(day, []).append(Stop(req.id, j, start, start, start + req.duration))
        served.add((req.id, j))
    routes = []
    for day, stops in sorted(days.items()):
        stops.sort(key=lambda s: s.start)
        routes.append(Route(van, day, stops[0].start, stops[-1].end, tuple(stops)))
    unserved = tuple(Unserved(v.request.id, v.occurrence, "capacity") for v in problem.visits if v.key not in served)
    sp = sum(problem.request_by_id[s.request].priority for r in routes for s in r.stops)
    n = sum(len(r.stops) for r in routes)
    moved = moved_count(problem, routes)
    stats = Stats(visits=len(problem.visits), served=n, unserved=len(problem.visits) - n, served_priority=sp,
                  total_priority=problem.total_priority, van_days=len(routes), moved=moved,
                  objective=objective_value(sp, moved, problem.stability.move_cost))
    return Plan(problem.name, "feasible", tuple(routes), unserved, stats)


def solver_placing(where):
    def solve(problem, time_limit=10.0, progress=None):
        return handmade_plan(problem, where)

    return solve


@pytest.fixture
def season(make, db_session):
    make.van()
    s = make.season(lock_slack_minutes=30)
    db_session.commit()
    return s


def _requests(make, db_session, season, n, **kw):
    reqs = [make.request(season, make.commune(), **kw) for _ in range(n)]
    db_session.commit()
    return reqs


def _visits(session) -> dict[tuple[int, int], tuple]:
    session.expire_all()
    return {
        (v.request_id, v.occurrence): (v.id, v.date, v.start, v.status, v.revision, v.cancelled_at)
        for v in session.execute(select(Visit)).scalars()
    }


def _allow_to_move(season, *visit_keys):
    """The operator's "allow to move" (unlock pins) on published visits."""
    for rid, occ in visit_keys:
        db.session.add(VisitPin(season_id=season.id, request_id=rid, occurrence=occ, kind="unlock"))
    db.session.commit()


def _plan(season, where, **kw):
    return plan_season(season, solver=solver_placing(where), today=kw.pop("today", MON), created_by="op", **kw)


def test_a_plan_becomes_a_draft_without_touching_visits(season, make, db_session):
    a, b = _requests(make, db_session, season, 2)
    version = _plan(season, {(a.id, 0): (MON, 540)})
    assert (version.number, version.status) == (1, "draft")
    assert version.served == 1 and version.visits == 2
    assert [(r.request_id, r.date, r.start) for r in version.rows] == [(a.id, MON, 540)]
    assert version.unserved[0]["request_id"] == b.id and version.unserved[0]["reason"] == "capacity"
    assert version.problem_json["requests"][0]["id"] == f"R{a.id}"
    assert db_session.execute(select(func.count()).select_from(Visit)).scalar_one() == 0
    assert a.status == "accepted"


def test_publishing_creates_visits_and_plans_the_requests(season, make, db_session):
    a, b = _requests(make, db_session, season, 2)
    version = _plan(season, {(a.id, 0): (MON, 540), (b.id, 0): (TUE, 600)})
    result = publish_version(version.id, by="ana@ops")
    assert (result.created, result.changed, result.cancelled) == (2, 0, 0)
    visits = _visits(db_session)
    assert visits[(a.id, 0)][1:5] == (MON, 540, "scheduled", 0)
    assert visits[(b.id, 0)][1:5] == (TUE, 600, "scheduled", 0)
    db_session.refresh(a)
    assert a.status == "planned"
    assert (a.history[-1].from_status, a.history[-1].to_status, a.history[-1].by) == ("accepted", "planned", "ana@ops")
    assert db_session.get(TourVersion, version.id).status == "published"


def test_republishing_keeps_ids_raises_revisions_and_cancels_what_disappeared(season, make, db_session):
    a, b, c = _requests(make, db_session, season, 3)
    v1 = _plan(season, {(a.id, 0): (MON, 540), (b.id, 0): (TUE, 540), (c.id, 0): (WED, 540)})
    publish_version(v1.id, by="ana@ops")
    before = _visits(db_session)
    # b and c are allowed to move (within the freeze horizon); a stays locked where it is.
    _allow_to_move(season, (b.id, 0), (c.id, 0))
    assert {lk["request"] for lk in export_problem(season, today=MON).data["locked"]} == {f"R{a.id}"}
    v2 = _plan(season, {(a.id, 0): (MON, 540), (b.id, 0): (THU, 600)})
    result = publish_version(v2.id, by="ben@ops")
    assert (result.created, result.changed, result.unchanged, result.cancelled) == (0, 1, 1, 1)
    after = _visits(db_session)
    assert after[(a.id, 0)] == before[(a.id, 0)]  # untouched: same id, same revision
    assert after[(b.id, 0)][0] == before[(b.id, 0)][0]
    assert after[(b.id, 0)][1:5] == (THU, 600, "scheduled", 1)
    c_id, _, _, c_status, c_rev, c_cancelled_at = after[(c.id, 0)]
    assert (c_id, c_status, c_rev) == (before[(c.id, 0)][0], "cancelled", 1)
    assert c_cancelled_at is not None
    db_session.refresh(c)
    assert c.status == "accepted"  # no longer in the tour: back in the pile to plan
    assert db_session.get(TourVersion, v1.id).status == "superseded"


def test_a_cancelled_visit_coming_back_is_scheduled_again_with_a_new_revision(season, make, db_session):
    (a,) = _requests(make, db_session, season, 1)
    publish_version(_plan(season, {(a.id, 0): (MON, 540)}).id, by="x")
    visit_id = _visits(db_session)[(a.id, 0)][0]
    _allow_to_move(season, (a.id, 0))
    publish_version(_plan(season, {}).id, by="x")
    assert _visits(db_session)[(a.id, 0)][3:5] == ("cancelled", 1)
    publish_version(_plan(season, {(a.id, 0): (MON, 540)}).id, by="x")
    again = _visits(db_session)[(a.id, 0)]
    assert (again[0], again[3], again[4], again[5]) == (visit_id, "scheduled", 2, None)


def test_export_is_v2_with_history_published_and_the_freeze_horizon_locked(season, make, db_session):
    a, b = _requests(make, db_session, season, 2)
    (d,) = _requests(make, db_session, season, 1, occurrences=2, min_days_between=7)
    v1 = _plan(season, {(a.id, 0): (TUE, 540), (b.id, 0): (date(2027, 3, 10), 600),
                        (d.id, 0): (TUE, 660), (d.id, 1): (date(2027, 3, 16), 660)})
    publish_version(v1.id, by="x")
    season.freeze_days, season.move_cost = 8, 3
    db_session.commit()
    exported = export_problem(season, today=date(2027, 3, 5))
    data = exported.data
    assert (data["version"], data["horizon"]["start"]) == (2, "2027-03-05")
    ids = [r["id"] for r in data["requests"]]
    assert ids == [f"R{b.id}", f"R{d.id}"]  # a's only visit took place: nothing left to plan
    assert data["requests"][1]["occurrences"] == 2  # every occurrence; the past one is history
    assert data["history"] == [{"request": f"R{d.id}", "occurrence": 0, "date": "2027-03-02"}]
    assert {(p["request"], p["occurrence"], p["date"], p["start"]) for p in data["published"]} \
        == {(f"R{b.id}", 0, "2027-03-10", "10:00"), (f"R{d.id}", 1, "2027-03-16", "11:00")}
    # Frozen: within 8 days of today (up to 03-12); the visit of 03-16 is only published.
    assert [(lk["request"], lk["occurrence"], lk["date"], lk["start"], lk["slack_minutes"]) for lk in data["locked"]] \
        == [(f"R{b.id}", 0, "2027-03-10", "10:00", 30)]
    assert data["stability"] == {"move_cost": 3, "start_slack_minutes": 30}
    assert exported.forced == {}
    # The v2 file reads back equal.
    assert problem_from_json(data).to_json() == data
    # A plan of that export maps back to the right occurrences and leaves the past alone.
    before = _visits(db_session)
    v2 = plan_season(season, today=date(2027, 3, 5), created_by="x",
                     solver=solver_placing({(b.id, 0): (date(2027, 3, 10), 610), (d.id, 1): (date(2027, 3, 16), 660)}))
    publish_version(v2.id, by="x")
    after = _visits(db_session)
    assert after[(a.id, 0)] == before[(a.id, 0)] and after[(d.id, 0)] == before[(d.id, 0)]
    assert after[(d.id, 1)] == before[(d.id, 1)]
    assert after[(b.id, 0)][2:5] == (610, "scheduled", 1)


def test_publishing_a_stale_draft_is_a_conflict(season, make, db_session):
    (a,) = _requests(make, db_session, season, 1)
    v1 = _plan(season, {(a.id, 0): (MON, 540)})
    v2 = _plan(season, {(a.id, 0): (TUE, 540)})
    publish_version(v1.id, by="ana@ops")
    before = _visits(db_session)
    with pytest.raises(ConflictError, match="version #1 a été publiée par ana@ops"):
        publish_version(v2.id, by="ben@ops")
    assert _visits(db_session) == before
    db_session.expire_all()
    assert db_session.get(TourVersion, v2.id).status == "draft"
    # Once the operator has reviewed it against the current tour, it can be published.
    publish_version(v2.id, by="ben@ops", expected_serial=season.publication_serial)
    assert _visits(db_session)[(a.id, 0)][1] == TUE


def test_only_a_draft_can_be_published(season, make, db_session):
    (a,) = _requests(make, db_session, season, 1)
    v1 = _plan(season, {(a.id, 0): (MON, 540)})
    publish_version(v1.id, by="x")
    db_session.expire_all()
    with pytest.raises(OperationError, match="brouillon"):
        publish_version(v1.id, by="x", expected_serial=season.publication_serial)


def test_a_failing_optimiser_leaves_the_published_tour_as_it_was(season, make, db_session):
    a, b = _requests(make, db_session, season, 2)
    published = _plan(season, {(a.id, 0): (MON, 540), (b.id, 0): (TUE, 540)})
    publish_version(published.id, by="x")
    before = _visits(db_session)

    def crash(problem, time_limit=10.0, progress=None):
        raise RuntimeError("solver crashed")

    with pytest.raises(PlanningError, match="solver crashed"):
        plan_season(season, solver=crash, today=MON, created_by="x")
    assert _visits(db_session) == before
    versions = db_session.execute(select(TourVersion).order_by(TourVersion.number)).scalars().all()
    assert [(v.status, v.error) for v in versions] == [("published", ""), ("failed", "solver crashed")]
    assert versions[1].rows == []


def test_a_plan_breaking_the_rules_is_refused_and_recorded_as_failed(season, make, db_session):
    (a,) = _requests(make, db_session, season, 1)
    saturday = date(2027, 3, 6)
    with pytest.raises(PlanningError, match="breaks its problem's rules"):
        _plan(season, {(a.id, 0): (saturday, 540)})
    (version,) = db_session.execute(select(TourVersion)).scalars().all()
    assert version.status == "failed" and version.rows == []


def test_importing_a_plan_naming_an_unknown_van_writes_nothing(season, make, db_session):
    (a,) = _requests(make, db_session, season, 1)
    exported = export_problem(season, today=MON)
    plan = handmade_plan(exported.problem, {(a.id, 0): (MON, 540)}, van="ghost")
    with pytest.raises(ProblemError, match="ghost"):
        import_plan(season.id, exported.data, plan, created_by="x", base_serial=0, check=False)
    assert db_session.execute(select(func.count()).select_from(TourVersion)).scalar_one() == 0


def test_a_cancelled_request_loses_its_future_visits_at_once(make, db_session):
    # Cancellation compares with the real today: this season lies far in the future.
    make.van()
    far = make.season("far", start=date(2099, 3, 2), end=date(2099, 3, 31))
    a, b = _requests(make, db_session, far, 2)
    day = date(2099, 3, 3)
    assert day.isoweekday() in (1, 2, 3, 4, 5)
    publish_version(_plan(far, {(a.id, 0): (day, 540), (b.id, 0): (day, 660)}, today=far.start).id, by="x")
    cancel(a, by="commune", note="la salle n'est plus libre")
    db_session.commit()
    visits = _visits(db_session)
    assert visits[(a.id, 0)][3:5] == ("cancelled", 1)
    assert visits[(b.id, 0)][3:5] == ("scheduled", 0)
    assert (a.history[-1].to_status, a.history[-1].by) == ("cancelled", "commune")
    assert [r["id"] for r in export_problem(far, today=far.start).data["requests"]] == [f"R{b.id}"]


def test_cli_plans_with_the_real_optimiser_and_publishes(season, make, db_session, runner):
    _requests(make, db_session, season, 2)
    result = runner.invoke(
        args=["tourplan", "plan", "--season", season.slug, "--time-limit", "1", "--publish", "--today", "2027-03-01"]
    )
    assert result.exit_code == 0, result.output
    assert "published: 2 new visit(s)" in result.output
    assert db_session.execute(select(func.count()).select_from(Visit)).scalar_one() == 2


def test_cli_bad_season_is_one_clear_line(runner):
    result = runner.invoke(args=["tourplan", "plan", "--season", "nope"])
    assert result.exit_code != 0
    assert "aucune saison n'a l'identifiant 'nope'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.postgresql_only
def test_two_concurrent_publications_one_wins_the_other_conflicts(season, make, db_session, app):
    a, b = _requests(make, db_session, season, 2)
    drafts = [
        _plan(season, {(a.id, 0): (MON, 540), (b.id, 0): (TUE, 540)}).id,
        _plan(season, {(a.id, 0): (WED, 540), (b.id, 0): (THU, 540)}).id,
    ]
    db_session.commit()
    barrier = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def publish(version_id: int) -> None:
        with app.app_context():  # its own session and connection
            barrier.wait()
            try:
                outcomes[version_id] = publish_version(version_id, by=f"op{version_id}").version.id
            except ConflictError as e:
                outcomes[version_id] = e
            finally:
                db.session.remove()

    threads = [threading.Thread(target=publish, args=(v,)) for v in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [v for v, o in outcomes.items() if o == v]
    losers = [o for o in outcomes.values() if isinstance(o, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    db_session.expire_all()
    published = db_session.execute(select(TourVersion).where(TourVersion.status == "published")).scalars().all()
    assert [v.id for v in published] == winners
    # Every visit comes from the winner: nothing half-published from the loser.
    assert {v.version_id for v in db_session.execute(select(Visit)).scalars()} == set(winners)
    assert db_session.execute(select(func.count()).select_from(Visit)).scalar_one() == 2


def test_moving_the_venue_raises_the_revision_at_the_next_publication(season, make, db_session):
    (a,) = _requests(make, db_session, season, 1)
    publish_version(_plan(season, {(a.id, 0): (MON, 540)}).id, by="x")
    before = _visits(db_session)[(a.id, 0)]
    a.venue_label, a.venue_lat, a.venue_lon = "Salle des fêtes", a.commune.lat, a.commune.lon
    db_session.commit()
    result = publish_version(_plan(season, {(a.id, 0): (MON, 540)}).id, by="x")
    assert result.changed == 1
    after = _visits(db_session)[(a.id, 0)]
    assert (after[0], after[4]) == (before[0], 1)
    assert db_session.get(Visit, after[0]).place_label == "Salle des fêtes"


def test_requests_whose_visits_all_took_place_are_done(season, make, db_session):
    a, b = _requests(make, db_session, season, 2)
    publish_version(_plan(season, {(a.id, 0): (MON, 540), (b.id, 0): (date(2027, 3, 20 - 5), 540)}).id, by="x")
    from web.tours.operations import close_past_requests

    assert close_past_requests(season, by="system", today=date(2027, 3, 10)) == 1
    db_session.commit()
    db_session.refresh(a)
    db_session.refresh(b)
    assert (a.status, b.status) == ("done", "planned")
