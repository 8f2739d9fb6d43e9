"""JSON API /api/v1: same rules and errors as the pages, described by its OpenAPI document."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.desk_helpers import draft, operator, small_season


def _token(email: str = "ops@example.fr") -> str:
    from web.api.models import ApiToken, hash_token, new_token
    from web.auth.models import Operator
    from web.extensions import db

    op = db.session.execute(select(Operator).where(Operator.email == email)).scalar_one()
    token = new_token()
    db.session.add(ApiToken(operator_id=op.id, token_hash=hash_token(token)))
    db.session.commit()
    return token


@pytest.fixture
def api(app, client, make):
    """A season, an operator and its bearer token; ``api.post(path, body)`` / ``api.get(path)``."""
    data = small_season(make)
    operator()
    token = _token()

    class Api:
        season = data
        bearer = token

        def get(self, path, **kw):
            return client.get(path, headers={"Authorization": f"Bearer {token}"}, **kw)

        def post(self, path, body=None, **kw):
            return client.post(path, json=body if body is not None else {},
                               headers={"Authorization": f"Bearer {token}"}, **kw)

    return Api()


def _count(model) -> int:
    from web.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_api_refuses_anonymous_callers_with_json_401(client, make):
    small_season(make)
    for method, path in [("get", "/api/v1/seasons"), ("get", "/api/v1/requests"), ("post", "/api/v1/requests"),
                         ("post", "/api/v1/seasons/s1/plan"), ("get", "/api/v1/versions")]:
        r = getattr(client, method)(path, json={})
        assert r.status_code == 401, path
        assert r.get_json()["error"] and "field" in r.get_json()


def test_a_wrong_or_revoked_token_is_refused(client, make):
    small_season(make)
    operator()
    r = client.get("/api/v1/seasons", headers={"Authorization": "Bearer tp_not-a-real-token"})
    assert r.status_code == 401
    assert "jeton" in r.get_json()["error"]


def test_operator_session_works_too(client, make, auth):
    small_season(make)
    operator()
    auth.login()
    r = client.get("/api/v1/seasons")
    assert r.status_code == 200
    assert [s["slug"] for s in r.get_json()["seasons"]] == ["s1"]


def test_request_round_trip_create_get_accept(api):
    body = {"season": "s1", "commune": "48002", "label": "Atelier tablette", "duration_minutes": 90,
            "periods": [{"start": "2027-03-01", "end": "2027-03-05"}], "weekdays": [2, 4], "priority": 2,
            "contact_name": "M. Roux", "email": "mairie@example.fr"}
    r = api.post("/api/v1/requests", body)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["status"] == "submitted" and created["periods"] == body["periods"]
    got = api.get(f"/api/v1/requests/{created['id']}").get_json()
    assert got == created
    r = api.post(f"/api/v1/requests/{created['id']}/accept", {"note": "ok"})
    assert r.status_code == 200 and r.get_json()["status"] == "accepted"
    # Accepting again is a state conflict, as on the pages.
    again = api.post(f"/api/v1/requests/{created['id']}/accept")
    assert again.status_code == 409 and again.get_json()["field"] == "status"
    listed = api.get("/api/v1/requests?status=accepted&season=s1").get_json()["requests"]
    assert created["id"] in [x["id"] for x in listed]


def test_decline_needs_a_reason(api):
    rid = api.post("/api/v1/requests", {"season": "s1", "commune": "48001", "label": "X",
                                        "duration_minutes": 30}).get_json()["id"]
    r = api.post(f"/api/v1/requests/{rid}/decline", {"reason": "  "})
    assert r.status_code == 400 and r.get_json()["field"] == "reason"
    r = api.post(f"/api/v1/requests/{rid}/decline", {"reason": "hors du territoire"})
    assert r.status_code == 200 and r.get_json()["decline_reason"] == "hors du territoire"


@pytest.mark.parametrize("body, field", [
    ({"season": "s1", "commune": "48001", "label": "A", "duration_minutes": "90"}, "duration_minutes"),
    ({"season": "s1", "commune": "48001", "label": "A", "duration_minutes": 0}, "duration_minutes"),
    ({"season": "s1", "commune": "99999", "label": "A", "duration_minutes": 30}, "commune"),
    ({"season": "nope", "commune": "48001", "label": "A", "duration_minutes": 30}, "season"),
    ({"season": "s1", "commune": "48001", "label": "", "duration_minutes": 30}, "label"),
    ({"season": "s1", "commune": "48001", "label": "A", "duration_minutes": 30,
      "periods": [{"start": "2027-03-09", "end": "2027-03-01"}]}, "periods[0]"),
    ({"season": "s1", "commune": "48001", "label": "A", "duration_minutes": 30, "venue_lat": 44.0}, "venue_lat"),
    ({"season": "s1", "commune": "48001", "label": "A", "duration_minutes": 30, "weekdays": [0]}, "weekdays[0]"),
    ({"season": "s1", "commune": "48001", "label": "A", "priority": 6}, "priority"),
    ({"season": "s1", "commune": "48001", "label": "A",
      "periods": [{"start": "2027-02-30", "end": "2027-03-01"}]}, "periods[0].start"),
    ({"season": "s1", "commune": "48001", "label": "A", "duration_minutes": 30, "admin": True}, "admin"),
])
def test_bad_request_bodies_name_the_field_and_store_nothing(api, body, field):
    from web.requests.models import VisitRequest

    before = _count(VisitRequest)
    r = api.post("/api/v1/requests", body)
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["field"] == field
    assert _count(VisitRequest) == before


def test_not_json_and_unknown_things(api, client):
    r = client.post("/api/v1/requests", data={"season": "s1"}, headers={"Authorization": f"Bearer {api.bearer}"})
    assert r.status_code == 400 and "JSON" in r.get_json()["error"]  # a form post is not accepted
    r = api.get("/api/v1/requests/999999")
    assert r.status_code == 404 and r.get_json()["field"] is None
    r = api.get("/api/v1/nothing-here")
    assert r.status_code == 404 and "error" in r.get_json()
    r = api.get("/api/v1/requests?status=bogus")
    assert r.status_code == 400 and r.get_json()["field"] == "status"
    r = client.delete("/api/v1/seasons")
    assert r.status_code == 405 and "error" in r.get_json()


def test_versions_publish_and_conflict(api):
    from web.extensions import db
    from web.seasons.models import Season

    season = db.session.execute(select(Season)).scalar_one()
    first = draft(season)
    second = draft(season)
    listed = api.get("/api/v1/versions?season=s1").get_json()["versions"]
    assert {v["id"] for v in listed} == {first.id, second.id}
    detail = api.get(f"/api/v1/versions/{first.id}").get_json()
    assert detail["status"] == "draft" and detail["routes"] and detail["figures"]["co2_kg"] >= 0
    assert detail["unserved"][0]["reason"] == "no_van_with_equipment"
    r = api.post(f"/api/v1/versions/{first.id}/publish")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "published" and r.get_json()["publication"]["created"] >= 1
    # The second draft was planned before the first was published: publishing it is a conflict.
    r = api.post(f"/api/v1/versions/{second.id}/publish")
    assert r.status_code == 409
    assert "conflit" in r.get_json()["error"]
    r = api.post(f"/api/v1/versions/{first.id}/publish")
    assert r.status_code == 409


def test_plan_job_through_the_api(api, app):
    from web.jobs.backends import thread_future

    r = api.post("/api/v1/seasons/s1/plan", {"time_limit": 2})
    assert r.status_code == 202, r.get_json()
    job = r.get_json()
    assert job["status"] in ("queued", "running")
    assert api.post("/api/v1/seasons/s1/plan", {"time_limit": 2}).status_code == 409
    thread_future(app, job["id"]).result(timeout=120)
    done = api.get(f"/api/v1/jobs/{job['id']}").get_json()
    assert done["status"] == "done" and done["version_id"]
    season = api.get("/api/v1/seasons/s1").get_json()
    assert season["active_job"] is None
    r = api.post(f"/api/v1/jobs/{job['id']}/stop")
    assert r.status_code == 409  # a finished job cannot be stopped


def test_a_plan_job_passes_its_seed_to_the_solver(api, app):
    from web.extensions import db
    from web.jobs.backends import thread_future
    from web.jobs.models import PlanningJob

    app.config["TOURPLAN_SOLVER"] = "tests.jobs_fakes:tell_seed"
    r = api.post("/api/v1/seasons/s1/plan", {"time_limit": 2, "seed": 7})
    assert r.status_code == 202, r.get_json()
    thread_future(app, r.get_json()["id"]).result(timeout=120)
    job = db.session.get(PlanningJob, r.get_json()["id"])
    assert job.seed == 7 and "graine reçue : 7" in job.message


@pytest.mark.parametrize("seed", [-1, 2**31, 1.5, "7", True])
def test_a_bad_seed_is_refused_with_its_field(api, seed):
    from web.jobs.models import PlanningJob

    r = api.post("/api/v1/seasons/s1/plan", {"time_limit": 2, "seed": seed})
    assert r.status_code == 400 and r.get_json()["field"] == "seed"
    assert _count(PlanningJob) == 0


def _rules(app):
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                out.add((path, method.lower()))
    return out


def test_openapi_document_lists_exactly_the_api_routes(app, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == _rules(app)
    # Every reference points at a schema that exists.
    text = json.dumps(doc)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in doc["components"]["schemas"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(["season", "commune", "label", "activity", "duration_minutes", "periods", "weekdays",
                               "earliest_start", "latest_end", "equipment", "venue_lat", "venue_lon", "priority",
                               "occurrences", "min_days_between", "required", "notes", "phone", "email",
                               "structure_kind", "expected_attendees", "reason", "note", "time_limit"])
bodies = st.dictionaries(field_names, json_values, max_size=8) | json_values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_hostile_request_bodies_never_500_and_never_store_partial_data(api, body):
    from web.requests.models import RequestStatusChange, VisitRequest

    before = (_count(VisitRequest), _count(RequestStatusChange))
    r = api.post("/api/v1/requests", body)
    assert r.status_code in (201, 400), (r.status_code, r.get_data(as_text=True)[:300])
    if r.status_code == 400:
        assert set(r.get_json()) == {"error", "field"}
        assert (_count(VisitRequest), _count(RequestStatusChange)) == before
    else:
        assert _count(VisitRequest) == before[0] + 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, which=st.sampled_from(["accept", "decline"]))
def test_hostile_bodies_on_status_changes_never_500(api, body, which):
    from web.requests.models import VisitRequest

    req = api.season["plain"]
    r = api.post(f"/api/v1/requests/{req.id}/{which}", body)
    assert r.status_code in (200, 400, 409), (r.status_code, r.get_data(as_text=True)[:300])
    from web.extensions import db

    db.session.expire_all()
    status = db.session.get(VisitRequest, req.id).status
    assert status in ("accepted", "declined")


def _sensible_limit(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and 1 <= value <= 3600


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, limit=json_values.filter(lambda v: not _sensible_limit(v)))
def test_hostile_move_and_plan_bodies_never_500(api, body, limit):
    from web.jobs.models import PlanningJob

    r = api.post("/api/v1/versions/1/move", body)
    assert r.status_code in (400, 404, 409), (r.status_code, r.get_data(as_text=True)[:300])
    r = api.post("/api/v1/seasons/s1/plan", {"time_limit": limit})
    assert r.status_code == 400, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.get_json()["field"] == "time_limit"
    assert _count(PlanningJob) == 0


def test_create_api_token_command_prints_a_working_token_stored_hashed(app, runner, client, make):
    from web.api.models import ApiToken
    from web.extensions import db

    small_season(make)
    operator()
    result = runner.invoke(args=["tourplan", "create-api-token", "ops@example.fr", "--label", "script"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("tp_")
    stored = db.session.execute(select(ApiToken)).scalar_one()
    assert stored.token_hash != token and token not in stored.token_hash
    r = client.get("/api/v1/seasons", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    result = runner.invoke(args=["tourplan", "create-api-token", "nobody@example.fr"])
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_api_writes_need_no_csrf_token_but_pages_do(make_app, make):
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    with csrf_app.app_context():
        small_season(make)
        operator()
        token = _token()
    client = csrf_app.test_client()
    r = client.post("/api/v1/requests", json={"season": "s1", "commune": "48001", "label": "Atelier",
                                              "duration_minutes": 30},
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.get_json()
    # The desk's forms keep their CSRF protection (logged in or not, no token: refused).
    r = client.post("/operateur/planification/saisons/s1/planifier", data={"time_limit": "5"})
    assert r.status_code in (400, 302)
    from web.extensions import db
    from web.jobs.models import PlanningJob

    with csrf_app.app_context():
        assert db.session.execute(select(PlanningJob)).first() is None


def _number_input(page: str, name: str) -> tuple[int, int]:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    return int(re.search(r'\bmin="(\d+)"', tag).group(1)), int(re.search(r'\bmax="(\d+)"', tag).group(1))


def test_priority_range_is_the_same_in_schema_document_api_forms_and_hints(api, client, auth):
    """Issue 11: one range users understand (1 = souhaitable … 5 = essentielle), read from
    each place that states it: the declared schema, the OpenAPI document, what the API
    accepts, the number inputs of both forms, what the forms accept and the hints."""
    from web.requests.schema import limits

    declared = limits("priority")
    assert declared == (1, 5)
    lo, hi = declared
    doc = client.get("/api/v1/openapi.json").get_json()
    for name in ("NewRequest", "RequestAnswer"):
        prop = doc["components"]["schemas"][name]["properties"]["priority"]
        assert (prop["minimum"], prop["maximum"]) == declared, name
    body = {"season": "s1", "commune": "48001", "label": "Atelier", "duration_minutes": 60}
    created = api.post("/api/v1/requests", {**body, "priority": hi})
    assert created.status_code == 201, created.get_json()
    for outside in (lo - 1, hi + 1):
        r = api.post("/api/v1/requests", {**body, "priority": outside})
        assert (r.status_code, r.get_json()["field"]) == (400, "priority")
    auth.login()
    rid = api.season["plain"].id
    hint = f"{lo} = souhaitable … {hi} = essentielle"
    for url in (f"/operateur/demandes/{rid}", f"/operateur/demandes/{rid}/modifier"):
        page = client.get(url).get_data(as_text=True)
        assert _number_input(page, "priority") == declared, url
        assert hint in page, url
    priority_url = f"/operateur/demandes/{rid}/priorite"
    assert client.post(priority_url, data={"priority": str(hi + 1)}).status_code == 422
    assert client.post(priority_url, data={"priority": str(hi)}).status_code == 302
