"""The public request form, the commune suggestions and the private tracking page."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.groups import redis_answers
from tests.request_helpers import END, START, TODAY, open_season
from tests.test_public_pages import Page


@pytest.fixture
def world(make: Any, db_session: Any) -> dict[str, Any]:
    """A season from next week, a few communes (two sharing a postal code), one activity."""
    made = open_season(make)
    make.commune("48146", name="Saint-Chély-d'Apcher", postal_codes=["48200"])
    make.commune("48002", name="Albaret-Sainte-Marie", postal_codes=["48200"])
    db_session.commit()
    return {"season": made["season"].id, "mende": made["mende"].insee, "activity": made["activity"].id}


def valid_data(world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = {
        "season": str(world["season"]),
        "commune": "mende",
        "structure_kind": "médiathèque",
        "structure_name": "Médiathèque du Gévaudan",
        "contact_name": "Jeanne Martin",
        "email": "jeanne.martin@mairie-mende.fr",
        "phone": "+33 4.66.49.12.34",
        "activity": str(world["activity"]),
        "periods-0-start": (START + timedelta(days=3)).isoformat(),
        "periods-0-end": (START + timedelta(days=20)).strftime("%d/%m/%Y"),
        "weekdays": ["2", "4"],
        "earliest_start": "9h",
        "latest_end": "16:30",
        "expected_attendees": "12",
        "venue_kind": "mairie",
        "notes": "Salle accessible.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def stored_requests(app: Flask) -> list[Any]:
    from web.extensions import db
    from web.requests.models import VisitRequest

    with app.app_context():
        rows = list(db.session.execute(select(VisitRequest)).scalars())
        for r in rows:
            _ = (r.history, r.commune)  # load before the context closes
        return rows


def count_requests(app: Flask) -> int:
    from web.extensions import db
    from web.requests.models import RequestStatusChange, VisitRequest

    with app.app_context():
        n = db.session.execute(select(func.count()).select_from(VisitRequest)).scalar_one()
        h = db.session.execute(select(func.count()).select_from(RequestStatusChange)).scalar_one()
        assert (n == 0) == (h == 0)
        return n


# Storing ------------------------------------------------------------------------------------


def test_a_valid_request_is_stored_submitted_with_a_token_and_leads_to_its_tracking_page(
    app: Flask, world: dict[str, Any]
) -> None:
    client = app.test_client()
    assert client.get("/demander").status_code == 200
    response = client.post("/demander", data=valid_data(world))
    assert response.status_code == 302
    [req] = stored_requests(app)
    assert req.status == "submitted"
    assert len(req.tracking_token) >= 32
    assert response.headers["Location"] == f"/suivi/{req.tracking_token}"
    assert req.commune_insee == "48095"
    assert req.structure_kind == "médiathèque"
    assert req.phone == "04 66 49 12 34"  # normalised
    assert req.periods == [
        {"start": (START + timedelta(days=3)).isoformat(), "end": (START + timedelta(days=20)).isoformat()}
    ]
    assert req.weekdays == [2, 4]
    assert (req.earliest_start, req.latest_end) == (9 * 60, 16 * 60 + 30)
    assert req.duration_minutes == 120 and req.equipment == ["laptops"]  # from the catalogue
    assert req.venue_label == "Mairie de Mende" and req.venue_address == "Place Urbain V"
    assert req.expected_attendees == 12
    assert [(h.from_status, h.to_status, h.by) for h in req.history] == [(None, "submitted", "commune")]

    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Reçue" in text and req.tracking_token in text
    assert page.headers["Cache-Control"] == "no-store"


def test_the_form_shows_each_activity_with_its_usual_duration_and_equipment(app: Flask, world: dict[str, Any]) -> None:
    text = app.test_client().get("/demander").get_data(as_text=True)
    assert "Aide aux démarches" in text
    assert "durée habituelle 2\u00a0h" in text and "ordinateurs portables" in text


def test_another_venue_is_kept(app: Flask, world: dict[str, Any]) -> None:
    data = valid_data(world, venue_kind="autre", venue_label="Salle des fêtes", venue_address="2 rue du Pont")
    assert app.test_client().post("/demander", data=data).status_code == 302
    [req] = stored_requests(app)
    assert (req.venue_label, req.venue_address) == ("Salle des fêtes", "2 rue du Pont")


def test_several_periods_without_javascript(app: Flask, world: dict[str, Any]) -> None:
    client = app.test_client()
    data = valid_data(world)
    more = client.post("/demander", data={**data, "add_period": "+ Ajouter une période"})
    assert more.status_code == 200
    text = more.get_data(as_text=True)
    assert 'name="periods-1-start"' in text and 'name="periods-1-end"' in text
    assert 'class="error"' not in text  # asking for a row is not an error
    assert count_requests(app) == 0
    second = {"periods-1-start": (END - timedelta(days=10)).isoformat(), "periods-1-end": END.isoformat()}
    assert client.post("/demander", data={**data, **second}).status_code == 302
    [req] = stored_requests(app)
    assert len(req.periods) == 2 and req.periods[1]["end"] == END.isoformat()


def test_an_ambiguous_postal_code_offers_a_choice_and_the_choice_is_kept(app: Flask, world: dict[str, Any]) -> None:
    client = app.test_client()
    response = client.post("/demander", data=valid_data(world, commune="48200"))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="48146"' in text and 'value="48002"' in text
    assert count_requests(app) == 0
    chosen = client.post("/demander", data=valid_data(world, commune="48200", commune_choice="48146"))
    assert chosen.status_code == 302
    assert stored_requests(app)[0].commune_insee == "48146"


# Validation: the message next to its field, in the summary, nothing stored -----------------------

INVALID_CASES = [
    # (overrides, id of the field the error belongs to, part of the message)
    (
        {"periods-0-start": (START + timedelta(days=10)).isoformat(), "periods-0-end": START.isoformat()},
        "periods-0-end",
        "avant de commencer",
    ),
    (
        {
            "periods-0-start": (END + timedelta(days=1)).isoformat(),
            "periods-0-end": (END + timedelta(days=5)).isoformat(),
        },
        "periods-0-start",
        "en dehors de la saison",
    ),
    ({"periods-0-start": "31/02/2027"}, "periods-0-start", "Ce n'est pas une date"),
    ({"periods-0-start": "", "periods-0-end": ""}, "periods", "au moins une période"),
    ({"phone": "12 34"}, "phone", "pas un numéro de téléphone"),
    ({"phone": "+44 20 7946 0958"}, "phone", "pas un numéro de téléphone"),
    ({"email": "jeanne.martin"}, "email", "pas une adresse e-mail"),
    ({"contact_name": "   "}, "contact_name", "Indiquez le nom"),
    ({"commune": "Atlantis"}, "commune", "Aucune commune ne correspond"),
    ({"commune": ""}, "commune", "Indiquez la commune"),
    ({"activity": "999"}, "activity", "Choisissez une activité"),
    ({"activity": "abc"}, "activity", "Choisissez une activité"),
    ({"structure_kind": "mafia"}, "structure_kind", "Choisissez un type"),
    ({"weekdays": ["6"]}, "weekdays", "Choisissez parmi les jours proposés"),
    ({"earliest_start": "25:00"}, "earliest_start", "pas une heure"),
    ({"earliest_start": "15:00", "latest_end": "16:00"}, "latest_end", "plus court que l'activité"),
    ({"earliest_start": "15:00", "latest_end": "14:00"}, "latest_end", "après l'heure d'arrivée"),
    ({"expected_attendees": "douze"}, "expected_attendees", "nombre entier"),
    ({"expected_attendees": "-3"}, "expected_attendees", "entre 0 et"),
    ({"venue_kind": "autre", "venue_label": "Salle", "venue_address": ""}, "venue_address", "Indiquez l'adresse"),
    ({"notes": "x" * 2001}, "notes", "trop long"),
]


@pytest.mark.parametrize(("overrides", "field_id", "message"), INVALID_CASES)
def test_each_error_is_shown_next_to_its_field_and_nothing_is_stored(
    app: Flask, world: dict[str, Any], overrides: dict[str, Any], field_id: str, message: str
) -> None:
    response = app.test_client().post("/demander", data=valid_data(world, **overrides))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{re.escape(field_id)}-erreur">(.*?)</p>', text, re.S)
    assert error, f"no error next to {field_id}"
    assert message in error.group(1).replace("&#39;", "'")
    # The summary at the top links to the field (a group's first option for radios/checkboxes).
    summary = re.search(r'<div class="error-summary".*?</div>', text, re.S)
    assert summary and re.search(rf'<a href="#{re.escape(field_id)}(-0|-0-start)?">', summary.group(0))
    # The field (or its group) points at its error for screen readers.
    assert re.search(rf'aria-describedby="[^"]*\b{re.escape(field_id)}-erreur\b', text)
    assert "<title>Erreur" in text
    assert count_requests(app) == 0


def test_a_past_period_is_refused(make: Any, db_session: Any, app: Flask) -> None:
    from web.activities.models import Activity

    season = make.season("longue", start=TODAY - timedelta(days=60), end=TODAY + timedelta(days=60))
    make.commune("48095", name="Mende")
    activity = Activity(slug="a", name="A", duration_minutes=60)
    db_session.add(activity)
    db_session.commit()
    data = valid_data(
        {"season": season.id, "activity": activity.id},
        **{
            "periods-0-start": (TODAY - timedelta(days=30)).isoformat(),
            "periods-0-end": (TODAY - timedelta(days=20)).isoformat(),
        },
    )
    text = app.test_client().post("/demander", data=data).get_data(as_text=True)
    assert "déjà passée" in text
    assert count_requests(app) == 0


def test_the_honeypot_stores_nothing(app: Flask, world: dict[str, Any]) -> None:
    response = app.test_client().post("/demander", data=valid_data(world, website="http://spam.example"))
    assert response.status_code == 400
    assert count_requests(app) == 0


def test_the_honeypot_is_hidden_from_people(app: Flask, world: dict[str, Any]) -> None:
    text = app.test_client().get("/demander").get_data(as_text=True)
    assert re.search(r'<div class="hp" aria-hidden="true">', text)
    assert 'tabindex="-1"' in text


def test_stored_requests_are_limited_per_address(make_app: Any, world: dict[str, Any]) -> None:
    app = make_app(TOURPLAN_REQUEST_MAX_STORED=2)
    client = app.test_client()
    for _ in range(2):
        assert client.post("/demander", data=valid_data(world)).status_code == 302
    blocked = client.post("/demander", data=valid_data(world))
    assert blocked.status_code == 429
    assert "Réessayez dans une heure" in blocked.get_data(as_text=True)
    assert count_requests(app) == 2
    # Another address is not affected.
    other = app.test_client().post("/demander", data=valid_data(world), environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 302


def test_form_posts_of_any_kind_are_limited_per_address(make_app: Any, world: dict[str, Any]) -> None:
    app = make_app(TOURPLAN_REQUEST_MAX_POSTS=3)
    client = app.test_client()
    for _ in range(3):
        assert client.post("/demander", data=valid_data(world, phone="nope")).status_code == 422
    assert client.post("/demander", data=valid_data(world)).status_code == 429
    assert count_requests(app) == 0


def test_the_form_requires_its_csrf_token_when_csrf_is_on(make_app: Any, world: dict[str, Any]) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/demander", data=valid_data(world)).status_code == 400
    assert count_requests(app) == 0
    page = client.get("/demander").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/demander", data=valid_data(world, csrf_token=token)).status_code == 302
    assert count_requests(app) == 1


def test_no_open_season_means_no_form(app: Flask) -> None:
    text = app.test_client().get("/demander").get_data(as_text=True)
    assert "Aucune saison n'est ouverte" in text
    assert "<form" not in text.split("<main", 1)[1]


# Hostile input --------------------------------------------------------------------------------

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "\"'><img src=x onerror=alert(1)>",
            "Robert'); DROP TABLE visit_requests;--",
            "\x00\x01nul",
            "é" * 5000,
            "🚐" * 400,
            "‮reversed",
            "{{ 7*7 }}",
        ]
    ),
)
TEXT_FIELDS = ["commune", "structure_name", "contact_name", "email", "phone", "venue_label", "venue_address", "notes"]
OTHER_FIELDS = [
    "season",
    "activity",
    "structure_kind",
    "periods-0-start",
    "periods-0-end",
    "earliest_start",
    "latest_end",
    "expected_attendees",
    "venue_kind",
    "commune_choice",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(TEXT_FIELDS + OTHER_FIELDS), value=HOSTILE, other=st.booleans())
def test_hostile_input_never_gives_a_500_nor_a_partial_request(
    make_app: Any, world: dict[str, Any], field: str, value: str, other: bool
) -> None:
    app = make_app(TOURPLAN_REQUEST_MAX_STORED=10**6, TOURPLAN_REQUEST_MAX_POSTS=10**6)
    purge_requests(app)  # an earlier failing example may have left one
    data = valid_data(world, **{field: value})
    if other and field != "venue_kind":  # the hostile value itself must reach the server
        data["venue_kind"] = "autre"
        data.setdefault("venue_label", "Salle")
        data.setdefault("venue_address", "Rue")
    response = app.test_client().post("/demander", data=data)
    rows = stored_requests(app)
    if "\x00" in value:  # refused before the form is even read (web/core), nothing stored
        assert response.status_code == 400 and "caractère nul" in response.get_data(as_text=True)
        assert rows == []
        return
    assert response.status_code in (302, 422), response.status_code
    if response.status_code == 422:
        assert rows == []
        return
    # Stored: complete, and free text kept as typed (minus control characters).
    [req] = rows
    assert req.status == "submitted" and req.history and req.tracking_token
    if field in ("structure_name", "contact_name", "notes") or (field in ("venue_label", "venue_address") and other):
        stored = getattr(req, field)
        # Nothing invented, control characters gone (a NUL would break PostgreSQL).
        assert set(stored) <= set(value) | {" "}
        assert not any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in stored)
    text = app.test_client().get(f"/suivi/{req.tracking_token}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text and "<img src=x" not in text


def purge_requests(app: Flask) -> None:
    from web.extensions import db
    from web.requests.models import VisitRequest

    with app.app_context():
        for req in db.session.execute(select(VisitRequest)).scalars():
            db.session.delete(req)
        db.session.commit()


def test_script_in_every_text_field_comes_out_escaped(app: Flask, world: dict[str, Any]) -> None:
    evil = "<script>alert('x')</script>\"'"
    data = valid_data(
        world,
        structure_name=evil,
        contact_name=evil,
        notes=evil,
        venue_kind="autre",
        venue_label=evil,
        venue_address=evil,
    )
    response = app.test_client().post("/demander", data=data)
    assert response.status_code == 302
    text = app.test_client().get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert" in text
    # And back in the form when another field is wrong.
    text = app.test_client().post("/demander", data={**data, "phone": "x"}).get_data(as_text=True)
    assert "<script>alert" not in text


# Suggestions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("st chely", ["48146"]),
        ("SAINT-CHÉLY", ["48146"]),
        ("48200", ["48002", "48146"]),
        ("48095", ["48095"]),
        ("men", ["48095"]),
        ("m", []),
    ],
)
def test_commune_suggestions_by_name_postal_code_or_insee(
    app: Flask, world: dict[str, Any], query: str, expected: list[str]
) -> None:
    response = app.test_client().get("/demander/communes.json", query_string={"q": query})
    assert response.status_code == 200
    assert sorted(item["insee"] for item in response.get_json()) == expected


def test_a_suggestion_label_typed_back_selects_that_commune(app: Flask, world: dict[str, Any]) -> None:
    [hit] = app.test_client().get("/demander/communes.json?q=chely").get_json()
    assert app.test_client().post("/demander", data=valid_data(world, commune=hit["label"])).status_code == 302
    assert stored_requests(app)[0].commune_insee == "48146"


# Tracking and cancelling --------------------------------------------------------------------------


def submit(app: Flask, world: dict[str, Any]) -> str:
    response = app.test_client().post("/demander", data=valid_data(world))
    assert response.status_code == 302
    return response.headers["Location"]


def test_an_unknown_token_is_a_404(app: Flask) -> None:
    assert app.test_client().get("/suivi/not-a-real-token").status_code == 404
    assert app.test_client().post("/suivi/not-a-real-token/annuler").status_code == 404


def test_the_tracking_page_shows_the_decision_and_published_dates(app: Flask, world: dict[str, Any], make: Any) -> None:
    from web.extensions import db
    from web.requests.models import VisitRequest
    from web.requests.operations import decline
    from web.tours.models import Visit

    url = submit(app, world)
    client = app.test_client()
    req = db.session.execute(select(VisitRequest)).scalar_one()
    van = make.van()
    db.session.flush()
    visit_day = START + timedelta(days=5)
    db.session.add(
        Visit(
            request_id=req.id,
            occurrence=0,
            season_id=req.season_id,
            van_id=van.id,
            date=visit_day,
            start=10 * 60,
            end=12 * 60,
            place_label="Mairie de Mende",
            lat=44.5,
            lon=3.5,
            status="scheduled",
            revision=0,
        )
    )
    db.session.commit()
    text = client.get(url).get_data(as_text=True)
    text = text.replace("\u00a0", " ")
    assert f"{visit_day.day} " in text and "de 10 h 00 à 12 h 00" in text and "10:00" not in text

    db.session.refresh(req)
    decline(req, "ops@example.fr", "Hors de notre secteur")
    db.session.commit()
    text = client.get(url).get_data(as_text=True)
    assert "Refusée" in text and "Hors de notre secteur" in text
    assert "ops@example.fr" not in text  # operators' addresses stay private
    assert "Annuler cette demande" not in text


def test_cancelling_asks_for_confirmation_then_cancels(app: Flask, world: dict[str, Any]) -> None:
    url = submit(app, world)
    client = app.test_client()
    assert "Annuler cette demande" in client.get(url).get_data(as_text=True)
    confirm = client.get(url + "/annuler")
    assert confirm.status_code == 200
    assert "Oui, annuler ma demande" in confirm.get_data(as_text=True)
    assert stored_requests(app)[0].status == "submitted"  # a GET changes nothing

    done = client.post(url + "/annuler")
    assert done.status_code == 302 and done.headers["Location"] == url
    [req] = stored_requests(app)
    assert req.status == "cancelled"
    assert [(h.to_status, h.by) for h in req.history][-1] == ("cancelled", "commune")
    assert "Annulée" in client.get(url).get_data(as_text=True)

    again = client.post(url + "/annuler")
    assert again.status_code == 409
    assert "ne peut plus être annulée" in again.get_data(as_text=True)


def test_cancelling_needs_the_csrf_token_when_csrf_is_on(make_app: Any, world: dict[str, Any]) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/demander").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    url = client.post("/demander", data=valid_data(world, csrf_token=token)).headers["Location"]
    assert client.post(url + "/annuler").status_code == 400
    assert stored_requests(app)[0].status == "submitted"
    confirm = client.get(url + "/annuler").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', confirm).group(1)
    assert client.post(url + "/annuler", data={"csrf_token": token}).status_code == 302
    assert stored_requests(app)[0].status == "cancelled"


REDIS_URL = "redis://127.0.0.1:6379/14"


# Defined only where a Redis answers (never skipped): tests/not_run.py names it otherwise.
if redis_answers(REDIS_URL):

    def test_with_redis_the_limit_is_shared_by_every_app_process(make_app: Any, world: dict[str, Any]) -> None:
        import secrets

        import redis

        # Two apps stand for two server processes; a fresh address keeps runs independent.
        address = "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))
        one = make_app(TOURPLAN_REDIS_URL=REDIS_URL, TOURPLAN_REQUEST_MAX_STORED=2)
        two = make_app(TOURPLAN_REDIS_URL=REDIS_URL, TOURPLAN_REQUEST_MAX_STORED=2)
        env = {"REMOTE_ADDR": address}
        try:
            assert one.test_client().post("/demander", data=valid_data(world), environ_base=env).status_code == 302
            assert two.test_client().post("/demander", data=valid_data(world), environ_base=env).status_code == 302
            assert one.test_client().post("/demander", data=valid_data(world), environ_base=env).status_code == 429
            assert count_requests(one) == 2
        finally:
            r = redis.Redis.from_url(REDIS_URL)
            for key in r.scan_iter(f"tourplan-limits*{address}*"):
                r.delete(key)


def _weekend() -> tuple[Any, Any]:
    saturday = START + timedelta(days=(5 - START.weekday()) % 7)
    return saturday, saturday + timedelta(days=1)


def _plain(response: Any) -> str:
    import html

    return html.unescape(response.get_data(as_text=True)).replace("\u00a0", " ")


def test_a_weekend_only_period_is_refused_before_saving_with_the_reason(app: Flask, world: dict[str, Any]) -> None:
    # The season runs Monday to Friday (the default): a Saturday-Sunday period holds no visit day.
    saturday, sunday = _weekend()
    client = app.test_client()
    r = client.post("/demander", data=valid_data(world, weekdays=None, **{
        "periods-0-start": saturday.isoformat(), "periods-0-end": sunday.isoformat()}))
    assert r.status_code == 422 and count_requests(app) == 0
    text = _plain(r)
    assert ("Cette période ne compte aucun jour de passage du camion : "
            "le camion ne circule ni le samedi ni le dimanche") in text
    assert "Il passe du lundi au vendredi." in text


def test_a_period_of_closed_days_only_names_them(app: Flask, world: dict[str, Any]) -> None:
    from web.extensions import db
    from web.seasons.models import Season

    monday = START + timedelta(days=(7 - START.weekday()) % 7)
    tuesday = monday + timedelta(days=1)
    with app.app_context():
        season = db.session.get(Season, world["season"])
        season.closed_dates = [monday.isoformat(), tuesday.isoformat()]
        db.session.commit()
    r = app.test_client().post("/demander", data=valid_data(world, weekdays=None, **{
        "periods-0-start": monday.isoformat(), "periods-0-end": tuesday.isoformat()}))
    assert r.status_code == 422 and count_requests(app) == 0
    text = _plain(r)
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"]

    def said(d: Any) -> str:
        return f"{'1er' if d.day == 1 else d.day} {months[d.month - 1]} {d.year}"

    assert f"le {said(monday)}, le {said(tuesday)} sont des jours fermés" in text
    # The form says it next to the period fields before anyone types.
    form = _plain(app.test_client().get("/demander"))
    assert f"il ne passe pas les jours fermés : {said(monday)}, {said(tuesday)}" in form


def test_the_form_shows_the_van_s_service_days_next_to_the_periods(app: Flask, world: dict[str, Any]) -> None:
    text = _plain(app.test_client().get("/demander"))
    assert 'id="periods-jours">Le camion passe du lundi au vendredi.' in text
    assert 'aria-describedby="periods-aide periods-jours"' in text


def test_the_tracking_page_hides_the_team_s_triage_and_says_a_cancellation(app: Flask, world: dict[str, Any]) -> None:
    from web.extensions import db
    from web.requests.models import VisitRequest
    from web.requests.operations import accept, change_status, set_priority

    url = submit(app, world)
    client = app.test_client()
    req = db.session.execute(select(VisitRequest)).scalar_one()
    accept(req, "ops@example.fr")
    set_priority(req, 5, "ops@example.fr")
    # What publishing a tour writes in the history (web.tours.operations).
    change_status(req, "planned", "ops@example.fr", "tournée version #3 publiée")
    db.session.commit()
    text = _plain(client.get(url))
    assert "Planifiée" in text and "Acceptée" in text
    for internal in ("Priorité", "priorité", "version", "#3", "(modifiée)"):
        assert internal not in text, internal

    assert client.post(url + "/annuler", data={"submit": "Oui, annuler ma demande"}).status_code == 302
    text = _plain(client.get(url))
    assert "Demande annulée le " in Page(client.get(url).get_data(as_text=True)).text.replace("\u00a0", " ")
    assert "par vous : aucune date ne sera fixée" in text
    assert "s'affichera ici" not in text


@pytest.mark.parametrize("typed", ["2A004", "2a004", " 2A004 "])
def test_a_corsican_insee_code_typed_in_the_commune_field_finds_the_commune(
        app: Flask, world: dict[str, Any], make: Any, typed: str) -> None:
    make.commune("2A004", name="Ajaccio", department="2A", postal_codes=["20000", "20090"])
    make.db.session.commit()
    assert app.test_client().post("/demander", data=valid_data(world, commune=typed)).status_code == 302
    assert stored_requests(app)[0].commune_insee == "2A004"
    # The home page's search too.
    found = app.test_client().get("/recherche", query_string={"q": typed})
    assert found.status_code == 302 and found.headers["Location"] == "/communes/2A004"


def test_a_visitor_who_chose_english_reads_the_form_and_its_errors_in_english(
    app: Flask, world: dict[str, Any]
) -> None:
    client = app.test_client()
    client.get("/langue/en")
    page = _plain(client.get("/demander"))
    assert '<html lang="en">' in page
    for english in ("Ask for a visit of the van", "Who is asking", "Person to contact", "Periods wanted",
                    "Send the request", "(required)", "Leave all unticked if every day of the season suits you."):
        assert english in page, english
    bad = valid_data(world, contact_name="", email="jeanne", phone="12", **{"periods-0-end": "31/02/2027"})
    response = client.post("/demander", data=bad)
    assert response.status_code == 422
    text = _plain(response)
    for english in ("Error – ", "The form has 4 errors", "Give the name of the person to contact.",
                    "This is not an email address: it is written name@domain.fr.",
                    "This is not a French phone number", "This is not a date: write it DD/MM/YYYY",
                    "Person to contact: Give the name", "Period 1, end: This is not a date"):
        assert english in text, english
    form = text[text.index("<form"):text.index("</form>")]
    for french in ("Indiquez", "Ce n'est pas", "obligatoire", "Personne à contacter", "Envoyer la demande",
                   "Périodes souhaitées", "Le camion passe", "Erreur"):
        assert french not in form, french
    assert count_requests(app) == 0
    # French stays the default for everyone else.
    assert "Indiquez le nom de la personne à contacter." in _plain(
        app.test_client().post("/demander", data=bad))


def test_the_tracking_and_cancel_pages_speak_english_to_a_visitor_who_chose_it(
    app: Flask, world: dict[str, Any]
) -> None:
    url = submit(app, world)
    client = app.test_client()
    client.get("/langue/en")
    text = _plain(client.get(url))
    assert '<html lang="en">' in text
    for english in ("Tracking your request", "Private address of this page", "Tracking link", "Your request",
                    "Status", "Periods wanted", "History", "No date yet", "Cancel this request"):
        assert english in text, english
    for french in ("Suivi de votre demande", "Votre demande", "Historique", "Annuler cette demande"):
        assert french not in text, french
    cancel = _plain(client.get(url + "/annuler"))
    assert "Do you really want to cancel the request" in cancel and "Yes, cancel my request" in cancel
    assert "Voulez-vous vraiment" not in cancel
