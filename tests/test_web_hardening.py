"""Hostile requests against the web application (issue 9): forged Host headers and the page
cache, redirects, NUL bytes, odd hosts and numbers. Each test replays what an attacker sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

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


def test_the_largest_stored_id_is_still_looked_up(client: FlaskClient, make: Any) -> None:
    from tests.desk_helpers import login, operator

    operator()
    login(client)
    response = client.get("/api/v1/requests/2147483647")
    assert response.status_code == 404 and "2147483647" in response.get_json()["error"]


def test_superscript_digits_in_the_inbox_page_number_are_ignored(client: FlaskClient, make: Any) -> None:
    from tests.desk_helpers import login, operator

    operator()
    login(client)
    for page in ("²", "٣", "99999999999999", "-1"):
        assert client.get(f"/operateur/demandes/?page={page}").status_code == 200, page
        assert client.get(f"/operateur/demandes/?activite={page}").status_code == 200, page
