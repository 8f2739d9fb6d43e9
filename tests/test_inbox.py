"""Operator inbox: filters, accept, decline with a reason, priority, edit; every action in the
request's history with the operator's e-mail; forbidden moves refused with a clear message."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.request_helpers import END, START, TODAY, aide_aux_demarches
from tests.test_auth import add_operator
from tests.test_request_form import valid_data

PERIOD = [{"start": (START + timedelta(days=2)).isoformat(), "end": (START + timedelta(days=30)).isoformat()}]


@pytest.fixture
def inbox(make: Any, db_session: Any, app: Flask) -> dict[str, Any]:
    """Three requests from two communes, two activities, in three statuses."""
    from web.activities.models import Activity

    season = make.season("ete", start=START, end=END)
    mende = make.commune("48095", name="Mende", postal_codes=["48000"])
    florac = make.commune("48061", name="Florac Trois Rivières", postal_codes=["48400"])
    demarches = aide_aux_demarches()
    robots = Activity(slug="robots", name="Atelier robots", duration_minutes=90, equipment=["robots"])
    db_session.add(robots)
    db_session.flush()
    common = {"periods": PERIOD, "contact_name": "Jeanne", "email": "j@mende.fr", "phone": "04 66 49 12 34"}
    a = make.request(season, mende, status="submitted", activity=demarches, label="Démarches à Mende", **common)
    b = make.request(season, florac, status="submitted", activity=robots, label="Robots à Florac", **common)
    c = make.request(season, mende, status="accepted", activity=robots, label="Robots à Mende", **common)
    db_session.commit()
    add_operator(app)
    return {"a": a.id, "b": b.id, "c": c.id, "demarches": demarches.id, "robots": robots.id, "season": season.id}


@pytest.fixture
def ops_client(app: Flask, inbox: dict[str, Any]) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login().status_code == 302
    return client


def get_request(app: Flask, request_id: int) -> Any:
    from web.extensions import db
    from web.requests.models import VisitRequest

    with app.app_context():
        req = db.session.get(VisitRequest, request_id)
        _ = (req.history, req.commune, req.activity)
        return req


def listed(client: FlaskClient, query: str = "") -> set[str]:
    text = client.get("/operateur/demandes/" + query).get_data(as_text=True)
    return set(re.findall(r">Demande (\d+)</a>", text))


def test_filters_by_status_commune_and_activity(ops_client: FlaskClient, inbox: dict[str, Any]) -> None:
    a, b, c = str(inbox["a"]), str(inbox["b"]), str(inbox["c"])
    assert listed(ops_client) == {a, b, c}
    assert listed(ops_client, "?statut=submitted") == {a, b}
    assert listed(ops_client, "?statut=accepted") == {c}
    assert listed(ops_client, "?commune=48095") == {a, c}
    assert listed(ops_client, f"?activite={inbox['robots']}") == {b, c}
    assert listed(ops_client, f"?statut=submitted&commune=48095&activite={inbox['demarches']}") == {a}
    # Nonsense in the query string filters nothing out and breaks nothing.
    assert listed(ops_client, "?statut=<script>&activite=x&page=-1") == {a, b, c}


def test_accept_is_recorded_with_the_operator(app: Flask, ops_client: FlaskClient, inbox: dict[str, Any]) -> None:
    response = ops_client.post(f"/operateur/demandes/{inbox['a']}/statut", data={"to_status": "accepted"})
    assert response.status_code == 302
    req = get_request(app, inbox["a"])
    assert req.status == "accepted"
    last = req.history[-1]
    assert (last.from_status, last.to_status, last.by) == ("submitted", "accepted", "ops@example.fr")
    page = ops_client.get(f"/operateur/demandes/{inbox['a']}").get_data(as_text=True)
    assert "ops@example.fr" in page and "Acceptée" in page


def test_decline_needs_a_reason_and_shows_it_to_the_commune(
    app: Flask, ops_client: FlaskClient, inbox: dict[str, Any]
) -> None:
    url = f"/operateur/demandes/{inbox['b']}/refuser"
    refused = ops_client.post(url, data={"reason": "   "})
    assert refused.status_code == 422
    assert "Indiquez le motif du refus." in refused.get_data(as_text=True)
    assert get_request(app, inbox["b"]).status == "submitted"

    assert ops_client.post(url, data={"reason": "Déjà venu ce mois-ci"}).status_code == 302
    req = get_request(app, inbox["b"])
    assert (req.status, req.decline_reason) == ("declined", "Déjà venu ce mois-ci")
    assert (req.history[-1].to_status, req.history[-1].by) == ("declined", "ops@example.fr")
    tracking = app.test_client().get(f"/suivi/{req.tracking_token}").get_data(as_text=True)
    assert "Déjà venu ce mois-ci" in tracking and "Refusée" in tracking


@pytest.mark.parametrize(
    ("which", "to_status", "message"),
    [
        ("a", "done", "ne peut pas passer à « Réalisée »"),
        ("a", "planned", "ne peut pas passer à « Planifiée »"),
        ("c", "submitted", "ne peut pas passer à « Reçue »"),
        ("a", "flying", "statut inconnu"),
        ("a", "declined", "indiquez le motif"),
    ],
)
def test_forbidden_moves_are_refused_with_a_clear_message(
    app: Flask, ops_client: FlaskClient, inbox: dict[str, Any], which: str, to_status: str, message: str
) -> None:
    before = get_request(app, inbox[which])
    response = ops_client.post(f"/operateur/demandes/{inbox[which]}/statut", data={"to_status": to_status})
    assert response.status_code in (409, 422)
    text = response.get_data(as_text=True).replace("&#39;", "'")
    assert message in text
    after = get_request(app, inbox[which])
    assert after.status == before.status and len(after.history) == len(before.history)


def test_declining_a_request_already_declined_is_refused(
    app: Flask, ops_client: FlaskClient, inbox: dict[str, Any]
) -> None:
    url = f"/operateur/demandes/{inbox['b']}/refuser"
    assert ops_client.post(url, data={"reason": "non"}).status_code == 302
    again = ops_client.post(url, data={"reason": "toujours non"})
    assert again.status_code == 409
    assert "Action impossible" in again.get_data(as_text=True)
    assert get_request(app, inbox["b"]).decline_reason == "non"


def test_the_detail_page_offers_only_allowed_moves(ops_client: FlaskClient, inbox: dict[str, Any]) -> None:
    submitted = ops_client.get(f"/operateur/demandes/{inbox['a']}").get_data(as_text=True)
    assert 'value="accepted"' in submitted and "Refuser la demande" in submitted
    assert 'value="done"' not in submitted
    accepted = ops_client.get(f"/operateur/demandes/{inbox['c']}").get_data(as_text=True)
    assert 'value="accepted"' not in accepted and f"/operateur/demandes/{inbox['c']}/annuler" in accepted


def test_priority_change_is_recorded(app: Flask, ops_client: FlaskClient, inbox: dict[str, Any]) -> None:
    url = f"/operateur/demandes/{inbox['a']}/priorite"
    assert ops_client.post(url, data={"priority": "0"}).status_code == 422
    assert ops_client.post(url, data={"priority": "beaucoup"}).status_code == 422
    assert ops_client.post(url, data={"priority": "4"}).status_code == 302
    req = get_request(app, inbox["a"])
    assert req.priority == 4 and req.status == "submitted"
    assert (req.history[-1].by, req.history[-1].note) == ("ops@example.fr", "Priorité 1 → 4")


def edit_data(inbox: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The public form's fields (the same form, validated the same way), a new contact, and what
    only the operator edits: priority, duration, rhythm, whether the visit is required."""
    edits = {"commune": "Mende (48000) – 48095", "structure_kind": "mairie", "contact_name": "Paul Durand",
             "email": "paul@mende.fr", "phone": "0466491234"}
    operator_fields = {"priority": "2", "duration_minutes": "90", "rhythm": "spaced", "occurrences": "2",
                       "min_days_between": "14", "required_visit": "oui"}
    ids = {"season": inbox["season"], "activity": inbox["demarches"]}
    return valid_data(ids, **{**edits, **operator_fields, **overrides})


def test_the_edit_page_is_prefilled(ops_client: FlaskClient, inbox: dict[str, Any]) -> None:
    text = ops_client.get(f"/operateur/demandes/{inbox['a']}/modifier").get_data(as_text=True)
    assert 'value="Mende (48000) – 48095"' in text
    assert 'value="04 66 49 12 34"' in text
    assert f'value="{PERIOD[0]["start"]}"' in text
    assert 'name="priority"' in text


def test_an_edit_is_validated_like_the_public_form(app: Flask, ops_client: FlaskClient, inbox: dict[str, Any]) -> None:
    url = f"/operateur/demandes/{inbox['a']}/modifier"
    bad = ops_client.post(url, data=edit_data(inbox, phone="123", **{"periods-0-end": "2000-01-01"}))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert re.search(r'id="phone-erreur">.*pas un numéro de téléphone', text)
    assert re.search(r'id="periods-0-end-erreur">.*avant de commencer', text)
    req = get_request(app, inbox["a"])
    assert req.contact_name == "Jeanne" and len(req.history) == 1


def test_an_edit_is_recorded_with_the_operator_and_the_changed_fields(
    app: Flask, ops_client: FlaskClient, inbox: dict[str, Any]
) -> None:
    response = ops_client.post(f"/operateur/demandes/{inbox['a']}/modifier", data=edit_data(inbox))
    assert response.status_code == 302
    req = get_request(app, inbox["a"])
    assert (req.contact_name, req.phone, req.priority, req.duration_minutes) == ("Paul Durand", "04 66 49 12 34", 2, 90)
    assert (req.occurrences, req.min_days_between, req.required) == (2, 14, True)
    assert req.status == "submitted"
    last = req.history[-1]
    assert (last.from_status, last.to_status, last.by) == ("submitted", "submitted", "ops@example.fr")
    assert "contact" in last.note and "priorité" in last.note
    # Saving again without changes adds no line.
    ops_client.post(f"/operateur/demandes/{inbox['a']}/modifier", data=edit_data(inbox))
    assert len(get_request(app, inbox["a"]).history) == len(req.history)


def test_changing_the_activity_brings_its_equipment(app: Flask, ops_client: FlaskClient, inbox: dict[str, Any]) -> None:
    data = edit_data(inbox, activity=str(inbox["robots"]))
    assert ops_client.post(f"/operateur/demandes/{inbox['a']}/modifier", data=data).status_code == 302
    req = get_request(app, inbox["a"])
    assert req.activity.slug == "robots" and req.equipment == ["robots"]
    assert req.label == "Démarches à Mende"  # a label the team wrote is kept


def test_unknown_request_is_a_404(ops_client: FlaskClient) -> None:
    assert ops_client.get("/operateur/demandes/999999").status_code == 404
    assert ops_client.post("/operateur/demandes/999999/statut", data={"to_status": "accepted"}).status_code == 404


def test_inbox_actions_need_the_csrf_token_when_csrf_is_on(make_app: Any, inbox: dict[str, Any]) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/operateur/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert AuthActions(client).login(data={"csrf_token": token}).status_code == 302
    url = f"/operateur/demandes/{inbox['a']}/statut"
    assert client.post(url, data={"to_status": "accepted"}).status_code == 400
    assert get_request(app, inbox["a"]).status == "submitted"
    detail = client.get(f"/operateur/demandes/{inbox['a']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', detail).group(1)
    assert client.post(url, data={"to_status": "accepted", "csrf_token": token}).status_code == 302
    assert get_request(app, inbox["a"]).status == "accepted"


def test_cancelling_asks_to_confirm_with_a_reason_and_can_be_undone(
    app: Flask, ops_client: FlaskClient, inbox: dict[str, Any]
) -> None:
    url = f"/operateur/demandes/{inbox['c']}/annuler"
    page = ops_client.get(url).get_data(as_text=True)
    assert "Rien n'est changé tant que vous n'avez pas confirmé" in page
    assert get_request(app, inbox["c"]).status == "accepted"  # asking changes nothing
    # The one-click status form no longer cancels, and no reason means no cancellation.
    assert ops_client.post(f"/operateur/demandes/{inbox['c']}/statut",
                           data={"to_status": "cancelled"}).status_code == 422
    refused = ops_client.post(url, data={"reason": "  "})
    assert refused.status_code == 422 and "indiquez son motif" in refused.get_data(as_text=True)
    assert get_request(app, inbox["c"]).status == "accepted"
    assert ops_client.post(url, data={"reason": "La salle est en travaux."}).status_code == 302
    req = get_request(app, inbox["c"])
    assert req.status == "cancelled"
    assert req.history[-1].note == "La salle est en travaux." and req.history[-1].by == "ops@example.fr"
    detail = ops_client.get(f"/operateur/demandes/{inbox['c']}").get_data(as_text=True)
    assert "La salle est en travaux." in detail and "Rétablir la demande" in detail
    assert ops_client.post(f"/operateur/demandes/{inbox['c']}/retablir").status_code == 302
    req = get_request(app, inbox["c"])
    assert req.status == "accepted" and req.history[-1].note == "Annulation annulée"
    # Nothing left to undo: a second undo is refused with a sentence.
    again = ops_client.post(f"/operateur/demandes/{inbox['c']}/retablir")
    assert again.status_code == 409 and "rien à rétablir" in again.get_data(as_text=True)


def test_undoing_a_cancellation_brings_its_published_visits_back(app: Flask, make: Any) -> None:
    from web.extensions import db
    from web.requests import operations as ops
    from web.tours.models import Visit

    req, visit = make_tour_with_visit(make)
    ops.cancel(req, by="ops@example.fr", note="erreur")
    db.session.commit()
    assert db.session.get(Visit, visit.id).status == "cancelled"
    assert ops.undo_cancellation(req, "ops@example.fr") == 1
    db.session.commit()
    back = db.session.get(Visit, visit.id)
    assert back.status == "scheduled" and back.cancelled_at is None and req.status == "planned"


def make_tour_with_visit(make: Any) -> tuple[Any, Any]:
    from tests.public_data import Row, make_tour, next_weekday

    t = make_tour(make)
    req = t.requests["mende"]
    [visit] = t.publish([Row(req, t.vans["nord"], next_weekday(TODAY + timedelta(days=3), 2), 570, 690, 0)])
    return req, visit
