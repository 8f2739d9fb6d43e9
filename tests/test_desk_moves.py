"""Hand moves, locks, re-plans around locks and publication from the planning desk.

Every accepted move leaves a plan the referee (tourplan.checker) passes; every refused
move names the rule it would break, in French, and changes nothing."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import select

from tests.builders import plan_data, problem_data, v2, v2_plan
from tests.desk_helpers import draft, operator, page_text, small_season
from tourplan.checker import check_plan
from tourplan.plan import plan_from_json
from tourplan.problem import problem_from_json
from web.desk.moves import MoveRefused, move_visit

DESK = "/operateur/planification"


# --------------------------------------------------------------------------- #
# The move itself, on the hand-checked problem of the checker tests
# --------------------------------------------------------------------------- #


def _hand():
    return problem_from_json(problem_data()), plan_from_json(plan_data())


def test_moving_a_left_out_visit_into_a_day_gives_a_plan_the_referee_passes():
    problem, plan = _hand()
    moved = move_visit(problem, plan, ("rC", 1), "v1", date(2027, 3, 1))
    report = check_plan(problem, moved)
    assert report.ok, report.text()
    assert moved.stats.served == 4 and not moved.unserved
    day = next(r for r in moved.routes if r.day == date(2027, 3, 1))
    assert ("rC", 1) in [s.key for s in day.stops]


def test_moving_the_only_visit_of_a_day_removes_that_van_day():
    problem, plan = _hand()
    moved = move_visit(problem, plan, ("rC", 0), "v1", date(2027, 3, 9))
    assert check_plan(problem, moved).ok
    assert [r.day for r in moved.routes] == [date(2027, 3, 1), date(2027, 3, 9)]
    assert moved.stats.van_days == 2


@pytest.mark.parametrize("key, day, rule, words", [
    (("rB", 0), date(2027, 3, 9), "window", "périodes souhaitées"),
    (("rB", 0), date(2027, 3, 5), "weekday", "vendredi"),
    (("rC", 1), date(2027, 3, 3), "service_day", "jour de service"),
    (("rC", 1), date(2027, 3, 4), "service_day", "pas disponible"),
    (("rC", 1), date(2027, 3, 9), "recurrence", "au moins 7"),
    (("rC", 1), date(2027, 3, 20), "service_day", "jour de service"),
])
def test_a_move_that_breaks_a_rule_is_refused_naming_it(key, day, rule, words):
    problem, plan = _hand()
    with pytest.raises(MoveRefused) as e:
        move_visit(problem, plan, key, "v1", day)
    assert e.value.rule == rule
    assert e.value.message.startswith("Déplacement refusé (règle « ")
    assert words in e.value.message


def test_equipment_and_full_day_are_refused_with_their_rule():
    data = problem_data()
    data["vans"].append({**data["vans"][0], "id": "v2", "equipment": [], "unavailable_dates": []})
    problem = problem_from_json(data)
    plan = plan_from_json(plan_data())
    with pytest.raises(MoveRefused) as e:
        move_visit(problem, plan, ("rA", 0), "v2", date(2027, 3, 2))
    assert e.value.rule == "equipment" and "laptops" in e.value.message
    # A day that cannot hold one more visit of 10 hours.
    data["requests"].append({"id": "rD", "label": "Journée", "location": data["travel"]["points"][2],
                             "duration_minutes": 600})
    problem = problem_from_json(data)
    plan_json = plan_data()
    plan_json["unserved"].append({"request": "rD", "occurrence": 0, "reason": "too_far_for_a_day"})
    plan_json["stats"].update(visits=5, unserved=2, total_priority=8)
    plan = plan_from_json(plan_json)
    with pytest.raises(MoveRefused) as e:
        move_visit(problem, plan, ("rD", 0), "v1", date(2027, 3, 1))
    assert e.value.rule in ("shift", "max_drive", "break")


def test_a_locked_visit_cannot_be_moved_away():
    data = problem_data()
    data["locked"] = [{"request": "rA", "occurrence": 0, "van": "v1", "date": "2027-03-01", "start": "09:00"}]
    problem = problem_from_json(data)
    plan = plan_from_json(plan_data())
    with pytest.raises(MoveRefused) as e:
        move_visit(problem, plan, ("rA", 0), "v1", date(2027, 3, 2))
    assert e.value.rule == "locked" and "verrouillée" in e.value.message


@pytest.mark.parametrize("fields, day, position, words", [
    ({"max_days_between": 3}, date(2027, 3, 1), None,
     "du lundi 1er mars 2027 au lundi 8 mars 2027, 7 jours sépareraient deux passages de cette demande ; "
     "il en faut au plus 3"),
    ({"same_weekday": True}, date(2027, 3, 9), None,
     "cette demande veut toujours le même jour de la semaine ; ses passages tomberaient les lundi, mardi"),
    ({"same_start_within_minutes": 30}, date(2027, 3, 1), 1,
     "ses passages commenceraient entre 9 h 00 et 11 h 00 ; ils doivent commencer à 30 min près"),
])
def test_a_move_that_breaks_the_rhythm_is_refused_in_french_naming_the_rhythm(fields, day, position, words):
    data = v2()
    data["requests"][2].update(min_days_between=0, **fields)
    problem, plan = problem_from_json(data), plan_from_json(v2_plan())
    with pytest.raises(MoveRefused) as e:
        move_visit(problem, plan, ("rC", 1), "v1", day, position=position)
    assert e.value.rule == "rhythm"
    assert e.value.message.startswith("Déplacement refusé (règle « rythme des passages ») : ")
    assert words in e.value.message.replace("\xa0", " ")  # Babel's dates and times keep no-break spaces


# --------------------------------------------------------------------------- #
# Through the desk pages
# --------------------------------------------------------------------------- #


def _row(version, request_id):
    from web.extensions import db

    db.session.expire_all()
    return next(r for r in version.rows if r.request_id == request_id)


def _refresh(version):
    from web.extensions import db
    from web.tours.models import TourVersion

    db.session.expire_all()
    return db.session.get(TourVersion, version.id)


def _page_digest(client, version_id) -> str:
    html = client.get(f"{DESK}/versions/{version_id}").get_data(as_text=True)
    return html.split('name="digest" value="')[1].split('"')[0]


def _move(client, version, req, occurrence, day, digest=None, van="truck-1"):
    body = {"request_id": req.id, "occurrence": occurrence, "van": van, "date": day,
            "digest": digest or _page_digest(client, version.id)}
    return page_text(client.post(f"{DESK}/versions/{version.id}/deplacer", data=body, follow_redirects=True))


def test_valid_hand_move_is_accepted_and_the_draft_passes_the_checker(app, client, make, auth):
    data = small_season(make)
    v = draft(data["season"])
    operator()
    auth.login()
    html = _move(client, v, data["plain"], 0, "2027-03-08")
    assert "Visite déplacée au lundi 8 mars 2027" in html
    v = _refresh(v)
    assert _row(v, data["plain"].id).date == date(2027, 3, 8)
    report = check_plan(problem_from_json(v.problem_json), plan_from_json(v.plan_json))
    assert report.ok, report.text()
    # The stored figures follow the new plan.
    assert v.distance_km == pytest.approx(report.distance_km, abs=0.2)
    assert v.van_days == report.van_days and v.served == report.served


def test_the_move_list_offers_only_the_days_that_can_take_the_visit(app, client, make, auth):
    """The Tuesday-only visit is offered Tuesdays only, never its own day; picking one
    from the list moves it there."""
    data = small_season(make)
    v = draft(data["season"])
    operator()
    auth.login()
    row = _row(v, data["tuesday"].id)
    html = client.get(f"{DESK}/versions/{v.id}?jour={row.date.isoformat()}").get_data(as_text=True)
    select = html.split(f'id="mv-{data["tuesday"].id}-0"')[1].split("</select>")[0]
    offered = [date.fromisoformat(d) for d in re.findall(r'value="truck-1\|([\d-]+)"', select)]
    assert offered, select
    assert all(d.isoweekday() == 2 for d in offered) and row.date not in offered
    target = offered[0]
    body = {"request_id": data["tuesday"].id, "occurrence": 0, "cible": f"truck-1|{target.isoformat()}",
            "digest": _page_digest(client, v.id), "jour": row.date.isoformat()}
    r = client.post(f"{DESK}/versions/{v.id}/deplacer", data=body)
    assert r.status_code == 302 and f"jour={row.date.isoformat()}" in r.headers["Location"]
    assert _row(_refresh(v), data["tuesday"].id).date == target


def test_hand_move_breaking_a_rule_is_refused_with_that_rule_and_changes_nothing(app, client, make, auth):
    data = small_season(make)
    v = draft(data["season"])
    operator()
    auth.login()
    before = dict(_refresh(v).plan_json)
    html = _move(client, v, data["tuesday"], 0, "2027-03-08")  # a Monday; Balsièges receives on Tuesdays
    assert "Déplacement refusé (règle « jours de la semaine ») : la structure ne reçoit pas le camion le lundi" in html
    assert _refresh(v).plan_json == before
    html = _move(client, v, data["laser"], 0, "2027-03-08")
    assert "règle « équipement »" in html and "laser-cutter" in html
    assert _refresh(v).plan_json == before


def test_a_move_from_a_stale_page_is_a_conflict(app, client, make, auth):
    data = small_season(make)
    v = draft(data["season"])
    operator()
    auth.login()
    stale = _page_digest(client, v.id)
    _move(client, v, data["plain"], 0, "2027-03-08", digest=stale)
    html = _move(client, v, data["plain"], 0, "2027-03-09", digest=stale)
    assert "modifié entre-temps" in html
    assert _row(_refresh(v), data["plain"].id).date == date(2027, 3, 8)


def test_lock_goes_into_the_next_plan_and_blocks_hand_moves(app, client, make, auth):
    from web.jobs.operations import export_season

    data = small_season(make)
    v = draft(data["season"])
    operator()
    auth.login()
    row = _row(v, data["plain"].id)
    html = unescape(client.post(f"{DESK}/versions/{v.id}/verrouiller", follow_redirects=True, data={
        "request_id": data["plain"].id, "occurrence": 0, "digest": _page_digest(client, v.id)}).get_data(as_text=True))
    assert "Visite verrouillée" in html
    problem, _serial = export_season(data["season"], today=date(2026, 11, 1))
    locked = [lk for lk in problem["locked"] if lk["request"] == f"R{data['plain'].id}"]
    assert locked == [{"request": f"R{data['plain'].id}", "occurrence": 0, "van": "truck-1",
                       "date": row.date.isoformat(), "start": f"{row.start // 60:02d}:{row.start % 60:02d}",
                       "slack_minutes": 0}]
    html = _move(client, _refresh(v), data["plain"], 0, "2027-03-08")
    assert "règle « visite verrouillée »" in html
    client.post(f"{DESK}/versions/{v.id}/deverrouiller", data={
        "request_id": data["plain"].id, "occurrence": 0, "digest": _page_digest(client, v.id)})
    problem, _serial = export_season(data["season"], today=date(2026, 11, 1))
    assert not [lk for lk in problem["locked"] if lk["request"] == f"R{data['plain'].id}"]


def test_replan_locks_frozen_published_visits_unless_allowed_to_move(app, client, make, auth):
    from web.extensions import db
    from web.jobs.operations import export_season
    from web.tours.operations import publish_version

    data = small_season(make)
    data["season"].freeze_days = 200  # from 2026-11-01, the whole season is frozen
    db.session.commit()
    first = draft(data["season"])
    publish_version(first.id, by="test@ops")
    operator()
    auth.login()
    problem, _ = export_season(data["season"], today=date(2026, 11, 1))
    pid = f"R{data['plain'].id}"
    assert any(lk["request"] == pid for lk in problem["locked"])
    second = draft(data["season"])
    client.post(f"{DESK}/versions/{second.id}/deverrouiller", data={
        "request_id": data["plain"].id, "occurrence": 0, "digest": _page_digest(client, second.id)})
    problem, _ = export_season(data["season"], today=date(2026, 11, 1))
    assert not any(lk["request"] == pid for lk in problem["locked"])
    assert any(lk["request"] == f"R{data['tuesday'].id}" for lk in problem["locked"])
    # Now the visit may move by hand in the draft, and the diff shows it with its commune.
    html = _move(client, _refresh(second), data["plain"], 0, "2027-03-08")
    assert "Visite déplacée" in html
    # (Other published visits may have moved within the season's slack: they are listed too.)
    changes = html.split('id="changements"')[1].split('id="journee"')[0]
    moved = changes.split("<caption>Visites déplacées</caption>")[1].split("</table>")[0]
    assert "Aide aux démarches — Altier" in moved and "8 mars 2027" in moved
    assert "Altier" in changes.split("Communes concernées :")[1].split(".")[0]


def test_publish_from_the_desk_then_conflict_for_an_older_draft(app, client, make, auth):
    from web.extensions import db
    from web.tours.models import Visit

    data = small_season(make)
    first = draft(data["season"])
    second = draft(data["season"])
    operator()
    auth.login()
    html = unescape(client.post(f"{DESK}/versions/{first.id}/publier", follow_redirects=True).get_data(as_text=True))
    assert f"Version n° {first.number} publiée" in html
    assert _refresh(first).status == "published"
    visits = db.session.execute(select(Visit)).scalars().all()
    assert len(visits) == first.served and all(v.status == "scheduled" for v in visits)
    html = unescape(client.post(f"{DESK}/versions/{second.id}/publier", follow_redirects=True).get_data(as_text=True))
    assert f"Conflit : la version #{first.number} a été publiée par ops@example.fr" in html
    assert _refresh(second).status == "draft"


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

form_values = st.text(max_size=20) | st.integers(-10**12, 10**12).map(str) | st.sampled_from(
    ["2027-03-08", "2027-03-02", "2027-02-30", "0", "1", "2", "3", "4", "-1", "truck-1", "nope", "9" * 30,
     "<script>"])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.sampled_from(["request_id", "occurrence", "van", "date", "digest"]), form_values),
       action=st.sampled_from(["deplacer", "verrouiller", "deverrouiller"]))
def test_hostile_desk_forms_never_500_and_leave_valid_plans(app, client, make, form, action, auth):
    from web.extensions import db
    from web.tours.models import TourVersion

    if db.session.execute(select(TourVersion)).first() is None:
        data = small_season(make)
        draft(data["season"])
        operator()
        auth.login()
    v = db.session.execute(select(TourVersion)).scalar_one()
    r = client.post(f"{DESK}/versions/{v.id}/{action}", data=form)
    assert r.status_code in (302, 400, 404), r.status_code
    v = _refresh(v)
    assert check_plan(problem_from_json(v.problem_json), plan_from_json(v.plan_json)).ok


def test_unlocking_a_visit_that_was_never_locked_is_harmless(app, client, make, auth):
    from web.desk.models import VisitPin
    from web.extensions import db

    data = small_season(make)
    v = draft(data["season"])
    operator()
    auth.login()
    r = client.post(f"{DESK}/versions/{v.id}/deverrouiller", follow_redirects=True, data={
        "request_id": data["plain"].id, "occurrence": 0, "digest": _page_digest(client, v.id)})
    assert r.status_code == 200 and "Visite déverrouillée" in unescape(r.get_data(as_text=True))
    assert db.session.execute(select(VisitPin)).first() is None
