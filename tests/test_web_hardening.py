"""Hostile requests against the web application (issue 9): forged Host headers and the page
cache, redirects, NUL bytes, odd hosts and numbers. Each test replays what an attacker sent."""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.public_data import Row, make_tour, next_weekday
from tourplan.calendar import local_today
from web.public import operations as public_ops


@pytest.fixture
def tour(app: Flask, make: Any) -> Any:
    t = make_tour(make)
    day = next_weekday(local_today() + timedelta(days=3), 1)
    [visit] = t.publish([Row(t.requests["mende"], t.vans["nord"], day, 600, 720)])
    t.visit_id = visit.id
    return t


def _canonical(make_app: Any, **config: Any) -> FlaskClient:
    return make_app(TOURPLAN_BASE_URL="https://tournees.example.fr", **config).test_client()


# --------------------------------------------------------------------------- #
# Host header and the page cache
# --------------------------------------------------------------------------- #


def test_a_forged_host_never_reaches_a_cached_page_nor_a_feed(make_app: Any, tour: Any) -> None:
    """The attack of issue 9: evict /calendrier with cache-busting query strings, then ask
    for it with ``Host: evil.example``; later visitors used to get webcal://evil.example."""
    client = _canonical(make_app)
    for i in range(public_ops.RENDER_CACHE_SIZE + 20):
        client.get(f"/calendrier?cb={i}")
    for path in ("/", "/calendrier", f"/visites/{tour.visit_id}"):
        client.get(path, headers={"Host": "evil.example"})
    for path in ("/", "/calendrier", f"/visites/{tour.visit_id}", "/communes/48095"):
        page = client.get(path).get_data(as_text=True)
        assert "evil.example" not in page, path
        if not path.startswith("/visites/"):  # the visit page offers its .ics file, relative
            assert "webcal://tournees.example.fr/" in page, path
    feed = client.get("/calendar.ics", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in feed
    assert f"UID:visit-{tour.visit_id}@tournees.example.fr" in feed
    assert f"https://tournees.example.fr/visites/{tour.visit_id}" in feed.replace("\r\n ", "")


def test_cache_busting_query_strings_share_one_cache_entry(make_app: Any, tour: Any) -> None:
    app = make_app()
    client = app.test_client()
    client.get("/calendrier")
    cache = app.extensions["tourplan_public_cache"]
    before = len(cache)
    for i in range(50):
        assert client.get(f"/calendrier?cb={i}&x={'y' * i}").status_code == 200
        client.get("/calendar.ics", headers={"Host": f"h{i}.example"})
    # One more entry at most: the feed (hosts and unknown parameters are not part of keys).
    assert len(cache) <= before + 1
    # The page links back to itself (language switch) without the junk parameters.
    page = client.get("/calendrier?cb=99").get_data(as_text=True)
    assert "cb%3D" not in page and "cb=99" not in page


def test_the_render_cache_is_bounded_in_bytes(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(public_ops, "RENDER_CACHE_BYTES", 10_000)
    cache = public_ops.PublicCache()
    state = public_ops.TourState(key="k", today=local_today(), last_modified=None)  # type: ignore[arg-type]
    for i in range(100):
        cache.rendered(state, ("page", str(i)), lambda: "x" * 1000)
    assert len(cache) <= 10


def test_feed_uids_follow_the_canonical_host_unless_overridden(make_app: Any, tour: Any) -> None:
    plain = _canonical(make_app).get("/calendar.ics", headers={"Host": "other.example"}).get_data(as_text=True)
    assert f"UID:visit-{tour.visit_id}@tournees.example.fr" in plain
    custom = _canonical(make_app, TOURPLAN_UID_HOST="uid.example.org").get("/calendar.ics").get_data(as_text=True)
    assert f"UID:visit-{tour.visit_id}@uid.example.org" in custom


def test_trusted_hosts_refuse_other_host_headers(make_app: Any) -> None:
    client = _canonical(make_app, TRUSTED_HOSTS=["tournees.example.fr"])
    assert client.get("/", headers={"Host": "tournees.example.fr"}).status_code == 200
    response = client.get("/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "Requête incorrecte" in response.get_data(as_text=True)


def test_a_bad_base_url_stops_the_start_with_its_name(make_app: Any) -> None:
    for bad in ("tournees.example.fr", "ftp://x.example", "https://x.example/?a=1"):
        with pytest.raises(ValueError, match="TOURPLAN_BASE_URL"):
            make_app(TOURPLAN_BASE_URL=bad)


def test_absolute_urls_work_without_a_request(make_app: Any) -> None:
    """The future mail worker builds links the same way, outside any request."""
    from web.core.urls import absolute_url

    app = make_app(TOURPLAN_BASE_URL="https://tournees.example.fr/camion/")
    with app.app_context():
        assert absolute_url("public.visit", visit_id=7) == "https://tournees.example.fr/camion/visites/7"


def test_qr_code_and_tracking_links_use_the_canonical_address(make_app: Any, tour: Any) -> None:
    from web.desk.blueprint import visit_url

    app = make_app(TOURPLAN_BASE_URL="https://tournees.example.fr")
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert visit_url(tour.visit_id) == f"https://tournees.example.fr/visites/{tour.visit_id}"
    token = tour.requests["mende"].tracking_token
    page = app.test_client().get(f"/suivi/{token}", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert f"https://tournees.example.fr/suivi/{token}" in page and "evil.example" not in page


def test_cookies_are_lax_and_secure_on_an_https_site(make_app: Any) -> None:
    https = make_app(TOURPLAN_BASE_URL="https://tournees.example.fr")
    plain = make_app(TOURPLAN_BASE_URL="http://127.0.0.1:5000")
    assert https.config["SESSION_COOKIE_SECURE"] is True and plain.config["SESSION_COOKIE_SECURE"] is False
    client = https.test_client()
    response = client.get("/langue/en?suite=/calendrier", base_url="https://tournees.example.fr")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie


# --------------------------------------------------------------------------- #
# Redirects
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("suite", ["/%09/evil.example", "/%0a/x", "//evil.example", "/\\evil.example",
                                   "https://evil.example", "/%0d%0aSet-Cookie:x=1", "%09/evil.example"])
def test_the_language_switch_only_returns_to_this_site(client: FlaskClient, suite: str) -> None:
    response = client.get(f"/langue/fr?suite={suite}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_language_switch_returns_to_the_page(client: FlaskClient) -> None:
    response = client.get("/langue/en?suite=/calendrier%3Fvue%3Dliste")
    assert response.headers["Location"] == "/calendrier?vue=liste"


def test_login_next_refuses_the_same_tricks(client: FlaskClient) -> None:
    page = client.get("/operateur/connexion?next=/%09/evil.example").get_data(as_text=True)
    assert "evil.example" not in page


# --------------------------------------------------------------------------- #
# NUL bytes (PostgreSQL refuses them in text: every one used to be a 500)
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("path", ["/communes/%00", "/communes/%00.ics", "/vans/%00.ics", "/suivi/%00",
                                  "/suivi/%00/annuler", "/api/v1/seasons/%00"])
def test_a_nul_in_the_address_is_not_found(client: FlaskClient, tour: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404


@pytest.mark.parametrize("query", ["q=%00", "commune=%00", "mois=%00", "suite=/%00"])
def test_a_nul_in_the_query_is_refused_with_a_message(client: FlaskClient, query: str) -> None:
    path = {"q": "/recherche", "suite": "/langue/fr"}.get(query.split("=")[0], "/calendrier")
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert "caractère nul" in response.get_data(as_text=True)


def test_a_nul_in_the_login_email_is_refused_with_a_message(client: FlaskClient) -> None:
    response = client.post("/operateur/connexion", data={"email": "a\x00@example.org", "password": "x" * 12})
    assert response.status_code == 400
    assert "caractère nul" in response.get_data(as_text=True)


def test_a_nul_in_the_api_is_refused_as_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/requests?season=%00")
    assert response.status_code == 400
    assert "caractère nul" in response.get_json()["error"]


# --------------------------------------------------------------------------- #
# Odd hosts, numbers and digits
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("path", ["/", "/calendar.ics", "/nulle-part", "/api/v1/seasons"])
def test_a_host_label_over_63_characters_is_a_plain_400(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Host": "a" * 64 + ".example"})
    assert response.status_code == 400
    text = response.get_json()["error"] if response.is_json else response.get_data(as_text=True)
    assert "requête incorrecte" in text.lower()  # a page, or JSON for the API


@pytest.mark.parametrize("path", ["/visites/2147483648", "/visites/99999999999999999999.ics",
                                  "/api/v1/requests/2147483648", "/api/v1/jobs/99999999999999999999",
                                  "/operateur/demandes/2147483648"])
def test_ids_beyond_the_database_range_are_not_found(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_the_largest_stored_id_is_still_looked_up(client: FlaskClient, make: Any, auth: AuthActions) -> None:
    from tests.desk_helpers import operator

    operator()
    auth.login()
    response = client.get("/api/v1/requests/2147483647")
    assert response.status_code == 404 and "2147483647" in response.get_json()["error"]


def test_superscript_digits_in_the_inbox_page_number_are_ignored(
    client: FlaskClient, make: Any, auth: AuthActions
) -> None:
    from tests.desk_helpers import operator

    operator()
    auth.login()
    for page in ("²", "٣", "99999999999999", "-1"):
        assert client.get(f"/operateur/demandes/?page={page}").status_code == 200, page
        assert client.get(f"/operateur/demandes/?activite={page}").status_code == 200, page


# --------------------------------------------------------------------------- #
# Sessions, tokens
# --------------------------------------------------------------------------- #


def test_logout_kills_every_copy_of_the_session_cookie(app: Flask) -> None:
    from tests.test_auth import add_operator

    add_operator(app)
    browser, thief = app.test_client(), app.test_client()
    assert AuthActions(browser).login().status_code == 302
    thief.set_cookie("session", browser.get_cookie("session").value)
    assert thief.get("/operateur/").status_code == 200  # a copy works while the session lives
    AuthActions(browser).logout()
    assert browser.get("/operateur/").status_code == 302
    assert thief.get("/operateur/").status_code == 302  # and not after the logout
    assert AuthActions(browser).login().status_code == 302  # logging in again works


def _api_token(app: Flask, **columns: Any) -> str:
    from sqlalchemy import update

    from tests.desk_helpers import operator
    from tests.test_api import _token
    from web.api.models import ApiToken
    from web.extensions import db

    with app.app_context():
        operator()
        token = _token()
        if columns:
            db.session.execute(update(ApiToken).values(**columns))
            db.session.commit()
    return token


def test_api_tokens_expire(app: Flask, client: FlaskClient) -> None:
    from web.core.types import utcnow

    token = _api_token(app, expires_at=utcnow() - timedelta(seconds=1))
    response = client.get("/api/v1/seasons", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "révoqué" in response.get_json()["error"]


def test_api_tokens_record_their_last_use(app: Flask, client: FlaskClient) -> None:
    from sqlalchemy import select

    from web.api.models import ApiToken
    from web.extensions import db

    token = _api_token(app)
    assert client.get("/api/v1/seasons", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app.app_context():
        assert db.session.execute(select(ApiToken.last_used_at)).scalar_one() is not None


def test_api_tokens_are_created_with_an_expiry_listed_and_revoked_from_the_cli(app: Flask, client: FlaskClient) -> None:
    from tests.desk_helpers import operator

    with app.app_context():
        operator()
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=["tourplan", "create-api-token", "ops@example.fr", "--label", "script", "--days", "30"])
    assert created.exit_code == 0, created.output
    token = created.output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/seasons", headers=headers).status_code == 200
    listed = runner.invoke(args=["tourplan", "list-api-tokens", "ops@example.fr"])
    assert "1\tactive\texpires " in listed.output and "script" in listed.output
    revoked = runner.invoke(args=["tourplan", "revoke-api-token", "1"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert client.get("/api/v1/seasons", headers=headers).status_code == 401
    unknown = runner.invoke(args=["tourplan", "revoke-api-token", "99"])
    assert unknown.exit_code != 0 and "aucun jeton" in unknown.output and "Traceback" not in unknown.output


# --------------------------------------------------------------------------- #
# API input
# --------------------------------------------------------------------------- #


@pytest.fixture
def api_client(app: Flask, make: Any) -> Any:
    from tests.desk_helpers import small_season

    small_season(make)
    token = _api_token(app)
    client = app.test_client()

    def post(path: str, body: Any = None, raw: bytes | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return client.post(path, data=raw if raw is not None else json.dumps(body), headers=headers)

    return post


def _new_request(**fields: Any) -> dict[str, Any]:
    return {"season": "s1", "commune": "48001", "label": "Atelier", "duration_minutes": 60, **fields}


@pytest.mark.parametrize("field, value", [
    ("label", "Atelier\vnumérique"), ("label", "Atelier\fnumérique"), ("notes", "ligne\u2028coupée"),
    ("contact_name", "Mme\nMartin"), ("structure_name", "Mairie\x1b[31m"), ("notes", "\x85suite"),
])
def test_the_api_refuses_characters_that_break_calendar_lines(api_client: Any, field: str, value: str) -> None:
    response = api_client("/api/v1/requests", _new_request(**{field: value}))
    assert response.status_code == 400
    assert response.get_json()["field"] == field and "contrôle" in response.get_json()["error"]


def test_the_api_keeps_line_breaks_where_the_forms_do(api_client: Any) -> None:
    response = api_client("/api/v1/requests", _new_request(notes="Première ligne\nDeuxième ligne"))
    assert response.status_code == 201 and response.get_json()["notes"] == "Première ligne\nDeuxième ligne"


@pytest.mark.parametrize("field, value", [("email", "pas-une-adresse"), ("email", "a@b"),
                                          ("phone", "12345"), ("phone", "+1 555 0100")])
def test_the_api_refuses_emails_and_phones_the_forms_refuse(api_client: Any, field: str, value: str) -> None:
    from web.requests.forms import EMAIL_ERROR, PHONE_ERROR

    response = api_client("/api/v1/requests", _new_request(**{field: value}))
    assert response.status_code == 400
    assert response.get_json() == {"field": field, "error": EMAIL_ERROR if field == "email" else PHONE_ERROR}


def test_the_api_writes_phones_as_the_forms_do(api_client: Any) -> None:
    response = api_client("/api/v1/requests", _new_request(phone="+33466491234", email="mairie@altier.fr"))
    assert response.status_code == 201 and response.get_json()["phone"] == "04 66 49 12 34"


def test_a_lone_surrogate_is_refused_naming_the_field(api_client: Any) -> None:
    raw = b'{"season": "s1", "commune": "48001", "label": "Atelier \\ud800", "duration_minutes": 60}'
    response = api_client("/api/v1/requests", raw=raw)
    assert response.status_code == 400 and response.get_json()["field"] == "label"
    response = api_client("/api/v1/requests", raw=b'{"season": "\\udfff"}')
    assert response.status_code == 400 and response.get_json()["field"] == "season"


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_refused(api_client: Any, depth: int) -> None:
    raw = b'{"notes": ' + b"[" * depth + b"]" * depth + b"}"
    response = api_client("/api/v1/requests", raw=raw)
    assert response.status_code == 400 and "imbriqué" in response.get_json()["error"]


def test_openapi_marks_every_request_body_required(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    bodies = [op["requestBody"] for path in doc["paths"].values() for op in path.values() if "requestBody" in op]
    assert len(bodies) >= 7 and all(b["required"] is True for b in bodies)


def test_405_answers_say_which_methods_are_allowed(client: FlaskClient) -> None:
    page = client.delete("/calendrier")
    assert page.status_code == 405 and page.headers["Allow"] == "GET, HEAD, OPTIONS"
    api = client.get("/api/v1/requests/1/accept")
    assert api.status_code == 405 and "POST" in api.headers["Allow"] and api.is_json


# --------------------------------------------------------------------------- #
# CSP nonce, database file
# --------------------------------------------------------------------------- #


def test_a_nonce_placeholder_typed_in_a_name_never_becomes_the_live_nonce(app: Flask, tour: Any) -> None:
    from tourplan.maps import NONCE_PLACEHOLDER
    from web.extensions import db

    with app.app_context():
        town = db.session.merge(tour.communes["mende"])
        town.name = f"Mende {NONCE_PLACEHOLDER}"
        db.session.commit()
    response = app.test_client().get("/carte/cadre")
    page = response.get_data(as_text=True)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert NONCE_PLACEHOLDER in page  # the name, shown as typed
    assert page.count(nonce) == page.count(f'nonce="{nonce}"') > 0  # the nonce only where it belongs


@pytest.mark.sqlite_only
def test_the_sqlite_file_is_created_private(make_app: Any, tmp_path: Any) -> None:
    path = tmp_path / "private.sqlite"
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    from web.extensions import db

    with app.app_context():
        db.create_all()
        db.session.execute(db.text("PRAGMA journal_mode=WAL"))
        db.engine.dispose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
