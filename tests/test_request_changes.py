"""A commune asks to change its request (issue 13): from its tracking link, checked as the
request form checks, stored apart until the team accepts (then applied as the team's own edit)
or refuses with a reason; one pending change at a time, a newer one replacing it."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests import test_db_tours
from tests.conftest import AuthActions
from tests.test_auth import add_operator, csrf_token
from tests.test_db_tours import solver_placing
from tourplan.calendar import local_today
from web.core.errors import OperationError, TransitionError
from web.extensions import db
from web.requests import changes
from web.requests.models import RequestChange, VisitRequest

TODAY = local_today()
START = TODAY + timedelta(days=7)
END = TODAY + timedelta(days=120)
FIRST = {"start": (START + timedelta(days=2)).isoformat(), "end": (START + timedelta(days=30)).isoformat()}
LATER = {"start": (START + timedelta(days=40)).isoformat(), "end": (START + timedelta(days=60)).isoformat()}


@pytest.fixture
def world(make: Any, db_session: Any, app: Flask) -> dict[str, Any]:
    """A season from next week, Mende, two activities, a submitted request and an operator."""
    from web.activities.models import Activity

    season = make.season("printemps", start=START, end=END)
    mende = make.commune("48095", name="Mende", postal_codes=["48000"], townhall_address="Place Urbain V")
    demarches = Activity(slug="demarches", name="Aide aux démarches", duration_minutes=120, equipment=["laptops"])
    robots = Activity(slug="robots", name="Atelier robots", duration_minutes=90, equipment=["robots", "tablets"])
    db_session.add_all([demarches, robots])
    db_session.flush()
    req = make.request(season, mende, status="submitted", activity=demarches, label="Aide aux démarches – Mende",
                       periods=[FIRST], contact_name="Jeanne Martin", email="jeanne@mairie-mende.fr",
                       phone="04 66 49 12 34", notes="Salle accessible.")
    db_session.commit()
    add_operator(app)
    return {"request": req.id, "token": req.tracking_token, "demarches": demarches.id, "robots": robots.id,
            "season": season.id}


def the_request(world: dict[str, Any]) -> VisitRequest:
    db.session.expire_all()
    return db.session.get(VisitRequest, world["request"])


def all_changes() -> list[RequestChange]:
    db.session.expire_all()
    return list(db.session.execute(select(RequestChange).order_by(RequestChange.id)).scalars())


def page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u00a0", " ")


# --------------------------------------------------------------------------- #
# Operations
# --------------------------------------------------------------------------- #


def test_a_change_keeps_only_what_differs_and_the_request_stays_as_it_is(world: dict[str, Any]) -> None:
    req = the_request(world)
    change = changes.propose_change(req, {**changes.current_values(req), "periods": [LATER],
                                          "contact_name": "Paul Roux"}, "Le secrétariat change.")
    db.session.commit()
    assert change.status == "pending" and change.message == "Le secrétariat change."
    assert change.proposed == {"periods": [LATER], "contact_name": "Paul Roux"}
    assert change.previous["periods"] == [FIRST] and change.previous["contact_name"] == "Jeanne Martin"
    req = the_request(world)
    assert (req.periods, req.contact_name) == ([FIRST], "Jeanne Martin")
    assert [h.to_status for h in req.history] == ["submitted"]  # no edit line either


def test_a_new_change_replaces_the_pending_one(world: dict[str, Any]) -> None:
    req = the_request(world)
    changes.propose_change(req, {"contact_name": "Paul Roux"})
    db.session.commit()
    changes.propose_change(the_request(world), {"contact_name": "Paule Roux", "phone": "04 66 00 00 00"})
    db.session.commit()
    first, second = all_changes()
    assert (first.status, first.reason, first.decided_by) == ("withdrawn", changes.REPLACED, "commune")
    assert first.decided_at is not None
    assert (second.status, second.proposed) == ("pending", {"contact_name": "Paule Roux", "phone": "04 66 00 00 00"})
    assert changes.pending_change(the_request(world)).id == second.id


def test_the_database_itself_refuses_two_pending_changes_of_one_request(world: dict[str, Any]) -> None:
    changes.propose_change(the_request(world), {"contact_name": "Paul Roux"})
    db.session.commit()
    db.session.add(RequestChange(request_id=world["request"], proposed={"notes": "x"}, previous={}, status="pending"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert len(all_changes()) == 1


def test_accepting_applies_the_values_and_a_new_activity_brings_its_duration_equipment_and_label(
        world: dict[str, Any]) -> None:
    req = the_request(world)
    change = changes.propose_change(req, {"activity_id": world["robots"], "periods": [FIRST, LATER],
                                          "weekdays": [4, 2], "occurrences": 1})
    db.session.commit()
    assert set(change.proposed) == {"activity_id", "duration_minutes", "equipment", "periods", "weekdays"}
    changes.accept_change(change, "ops@example.fr")
    db.session.commit()
    req = the_request(world)
    assert (req.activity_id, req.duration_minutes) == (world["robots"], 90)
    assert sorted(req.equipment) == ["robots", "tablets"]
    assert (req.periods, req.weekdays, req.label) == ([FIRST, LATER], [2, 4], "Atelier robots – Mende")
    assert req.status == "submitted"  # an edit, not a decision on the request
    last = req.history[-1]
    assert (last.from_status, last.to_status, last.by) == ("submitted", "submitted", "ops@example.fr")
    assert last.note.startswith("À la demande de la commune. Modifiée : ") and "périodes" in last.note
    change = all_changes()[0]
    assert (change.status, change.decided_by) == ("accepted", "ops@example.fr") and change.decided_at is not None


def test_refusing_needs_a_reason_and_keeps_the_request(world: dict[str, Any]) -> None:
    change = changes.propose_change(the_request(world), {"periods": [LATER]})
    db.session.commit()
    with pytest.raises(OperationError) as e:
        changes.refuse_change(change, "ops@example.fr", "   ")
    assert e.value.where == "reason"
    db.session.rollback()
    changes.refuse_change(all_changes()[0], "ops@example.fr", "Le camion est déjà pris à ces dates.")
    db.session.commit()
    change = all_changes()[0]
    assert (change.status, change.reason) == ("refused", "Le camion est déjà pris à ces dates.")
    assert the_request(world).periods == [FIRST]
    with pytest.raises(TransitionError):  # decided once
        changes.accept_change(change, "ops@example.fr")


def test_a_withdrawn_change_can_no_longer_be_accepted(world: dict[str, Any]) -> None:
    change = changes.propose_change(the_request(world), {"notes": "Plutôt le matin."})
    db.session.commit()
    changes.withdraw_change(change)
    db.session.commit()
    change = all_changes()[0]
    assert (change.status, change.decided_by) == ("withdrawn", "commune")
    with pytest.raises(TransitionError):
        changes.accept_change(change, "ops@example.fr")
    db.session.rollback()
    assert the_request(world).notes == "Salle accessible."


@pytest.mark.parametrize(("values", "where"), [
    ({"contact_name": "x" * 201}, "contact_name"),
    ({"email": "jeanne"}, "email"),
    ({"phone": "12"}, "phone"),
    ({"periods": [{"start": "2027-13-01", "end": "2027-13-02"}]}, "periods[0].start"),
    ({"periods": [{"start": LATER["end"], "end": LATER["start"]}]}, "periods[0]"),
    ({"weekdays": [9]}, "weekdays[0]"),
    ({"earliest_start": 16 * 60, "latest_end": 9 * 60}, "latest_end"),
    ({"occurrences": 40, "min_days_between": 14, "max_days_between": 14, "same_weekday": True}, "occurrences"),
    ({"activity_id": 999}, "activity_id"),
    ({"label": "Autre chose"}, ""),
    ({"notes": "Salle accessible."}, ""),  # nothing changes
])
def test_a_bad_change_is_refused_naming_its_field_and_nothing_is_stored(
        world: dict[str, Any], values: dict[str, Any], where: str) -> None:
    with pytest.raises(OperationError) as e:
        changes.propose_change(the_request(world), values)
    assert e.value.where == where, e.value
    db.session.rollback()
    assert all_changes() == []


def test_a_closed_request_takes_no_change_and_closing_withdraws_the_pending_one(world: dict[str, Any]) -> None:
    from web.requests.operations import cancel

    changes.propose_change(the_request(world), {"notes": "Plutôt le matin."})
    db.session.commit()
    cancel(the_request(world), by="commune")
    db.session.commit()
    (change,) = all_changes()
    assert change.status == "withdrawn" and "annulée" in change.reason.lower()
    with pytest.raises(TransitionError) as e:
        changes.propose_change(the_request(world), {"notes": "Finalement oui."})
    assert e.value.where == "status"


# A published visit meets the change as it meets the team's edit: it stays on the calendars,
# and the next planning moves it if the change made it impossible.
season = test_db_tours.season


def test_an_accepted_change_of_a_planned_request_leaves_its_visit_for_the_next_planning_to_move(
        season: Any, make: Any, db_session: Any) -> None:
    from web.tours.models import Visit
    from web.tours.operations import export_problem, plan_season, publish_version

    wednesday = date(2027, 3, 10)
    req = make.request(season, make.commune())
    db_session.commit()
    version = plan_season(season, solver=solver_placing({(req.id, 0): (wednesday, 540)}), today=date(2027, 3, 1),
                          created_by="op")
    publish_version(version.id, by="op")
    req = db_session.get(VisitRequest, req.id)
    assert req.status == "planned"
    change = changes.propose_change(req, {"weekdays": [1, 2]})  # Mondays and Tuesdays only
    db_session.commit()
    changes.accept_change(change, "ops@example.fr")
    db_session.commit()
    visit = db_session.execute(select(Visit)).scalar_one()
    assert (visit.date, visit.status, visit.revision) == (wednesday, "scheduled", 0)
    assert db_session.get(VisitRequest, req.id).status == "planned"
    assert export_problem(season, today=date(2027, 3, 5)).forced == {(req.id, 0): "request_changed"}


# --------------------------------------------------------------------------- #
# The commune's pages
# --------------------------------------------------------------------------- #


def form_data(world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The change form as it comes, pre-filled with the request (what a browser would send back)."""
    data = {
        "contact_name": "Jeanne Martin",
        "email": "jeanne@mairie-mende.fr",
        "phone": "04 66 49 12 34",
        "activity": str(world["demarches"]),
        "periods-0-start": FIRST["start"],
        "periods-0-end": FIRST["end"],
        "rhythm": "single",
        "notes": "Salle accessible.",
        "message": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_change_form_starts_from_the_request_s_values(client: FlaskClient, world: dict[str, Any]) -> None:
    track = page(client.get(f"/suivi/{world['token']}"))
    assert f'href="/suivi/{world["token"]}/modifier">Demander une modification</a>' in track
    r = client.get(f"/suivi/{world['token']}/modifier")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    text = page(r)
    assert 'value="Jeanne Martin"' in text and 'value="jeanne@mairie-mende.fr"' in text
    assert f'value="{FIRST["start"]}"' in text and f'value="{FIRST["end"]}"' in text
    assert re.search(rf'checked[^>]*value="{world["demarches"]}"|value="{world["demarches"]}"[^>]*checked', text)
    assert "Salle accessible." in text and 'name="message"' in text
    for what_stays in ('name="commune"', 'name="season"', 'name="structure_kind"', 'name="venue_kind"'):
        assert what_stays not in text, what_stays


def test_a_commune_asks_for_a_change_and_its_tracking_page_shows_it_waiting(
        client: FlaskClient, world: dict[str, Any]) -> None:
    url = f"/suivi/{world['token']}"
    r = client.post(url + "/modifier", data=form_data(world, **{
        "periods-0-start": LATER["start"], "periods-0-end": LATER["end"], "phone": "04.66.00.00.00",
        "message": "La salle est prise en avril."}))
    assert r.status_code == 302 and r.headers["Location"] == url
    assert the_request(world).periods == [FIRST]  # nothing changes before the team accepts
    (change,) = all_changes()
    assert change.proposed == {"periods": [LATER], "phone": "04 66 00 00 00"}
    text = page(client.get(url))
    assert re.search(r"Modification demandée le \d+ \w+ \d{4} à \d+ h \d\d — en attente de l'équipe", text)
    table = text[text.index('<table class="change-table">'):text.index("</table>")]
    assert "Téléphone" in table and "04 66 49 12 34" in table and "04 66 00 00 00" in table
    assert "Périodes souhaitées" in table and "Personne à contacter" not in table
    assert "La salle est prise en avril." in text
    assert "Retirer ma demande de modification" in text and "Changer ma demande de modification" in text
    # The form now starts from the pending change, and says that sending replaces it.
    again = page(client.get(url + "/modifier"))
    assert f'value="{LATER["start"]}"' in again and "en l'envoyant, vous la remplacez" in again


def test_the_commune_gets_a_written_trace_of_the_change_it_asked(
        client: FlaskClient, world: dict[str, Any]) -> None:
    from web.mail.messages import render_message
    from web.mail.models import OutboxMessage

    client.post(f"/suivi/{world['token']}/modifier", data=form_data(world, phone="04.66.00.00.00"))
    (row,) = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "change_received")).scalars()
    assert row.recipient == the_request(world).email
    assert row.subject.startswith("Votre demande de modification") and row.subject.endswith("est bien reçue")
    message = render_message(kind=row.kind, recipient=row.recipient, subject=row.subject, payload=row.payload,
                             message_id=row.message_id, created_at=row.created_at)
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    assert "- Téléphone : 04 66 00 00 00 (au lieu de : 04 66 49 12 34)" in text
    assert "Rien ne change tant que l'équipe ne l'a pas acceptée" in text
    assert f"/suivi/{world['token']}" in text


def test_the_change_form_checks_as_the_request_form_does(client: FlaskClient, world: dict[str, Any]) -> None:
    saturday = START + timedelta(days=(5 - START.weekday()) % 7)
    r = client.post(f"/suivi/{world['token']}/modifier", data=form_data(world, email="jeanne", **{
        "periods-0-start": saturday.isoformat(), "periods-0-end": (saturday + timedelta(days=1)).isoformat()}))
    assert r.status_code == 422
    text = page(r)
    assert "Adresse e-mail : Ce n'est pas une adresse e-mail" in text
    assert ("Période 1, fin : Cette période ne compte aucun jour de passage du camion : "
            "le camion ne circule ni le samedi ni le dimanche") in text
    assert 'href="#periods-0-end"' in text and 'href="#email"' in text
    short = client.post(f"/suivi/{world['token']}/modifier", data=form_data(
        world, earliest_start="10:00", latest_end="11:00"))
    assert short.status_code == 422 and "plus court que l'activité choisie (2 h)" in page(short)
    assert all_changes() == []


def test_sending_the_form_unchanged_says_so_and_stores_nothing(client: FlaskClient, world: dict[str, Any]) -> None:
    r = client.post(f"/suivi/{world['token']}/modifier", data=form_data(world, message="Juste pour dire bonjour."))
    assert r.status_code == 422 and "Vous n'avez rien changé" in page(r)
    assert all_changes() == []


def test_the_commune_withdraws_its_change(client: FlaskClient, world: dict[str, Any]) -> None:
    url = f"/suivi/{world['token']}"
    client.post(url + "/modifier", data=form_data(world, notes="Plutôt le matin."))
    r = client.post(url + "/modification/retirer")
    assert r.status_code == 302 and r.headers["Location"] == url
    assert all_changes()[0].status == "withdrawn"
    text = page(client.get(url))
    assert "retirée le" in text and "la demande reste comme elle était" in text
    assert "Demander une modification" in text and "Retirer ma demande" not in text
    assert client.post(url + "/modification/retirer").status_code == 302  # nothing left to withdraw: said, not a 500
    assert "rien n'est retiré" in page(client.get(url))


def test_wrong_tokens_are_404s(client: FlaskClient, world: dict[str, Any]) -> None:
    for url in ("/suivi/not-a-token/modifier", "/suivi/" + "x" * 300 + "/modifier"):
        assert client.get(url).status_code == 404
        assert client.post(url, data=form_data(world)).status_code == 404
    assert client.post("/suivi/not-a-token/modification/retirer").status_code == 404
    assert all_changes() == []


def test_a_closed_request_offers_no_change(client: FlaskClient, world: dict[str, Any]) -> None:
    from web.requests.operations import decline

    decline(the_request(world), "ops@example.fr", "Hors secteur")
    db.session.commit()
    url = f"/suivi/{world['token']}"
    assert "Demander une modification" not in page(client.get(url))
    for r in (client.get(url + "/modifier"), client.post(url + "/modifier", data=form_data(world, notes="Autre"))):
        assert r.status_code == 409
        assert "ne peut plus être modifiée : elle est « Refusée »" in page(r)
    assert all_changes() == []


def test_the_change_and_its_withdrawal_need_the_csrf_token(make_app: Any, world: dict[str, Any]) -> None:
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    url = f"/suivi/{world['token']}"
    assert client.post(url + "/modifier", data=form_data(world, notes="Plutôt le matin.")).status_code == 400
    assert all_changes() == []
    token = csrf_token(client.get(url + "/modifier").get_data(as_text=True))
    assert client.post(url + "/modifier", data=form_data(world, notes="Plutôt le matin.",
                                                         csrf_token=token)).status_code == 302
    assert client.post(url + "/modification/retirer").status_code == 400  # no token
    assert all_changes()[0].status == "pending"
    token = csrf_token(client.get(url).get_data(as_text=True))
    client.post(url + "/modification/retirer", data={"csrf_token": token})
    assert all_changes()[0].status == "withdrawn"


def test_change_posts_are_limited_per_address(make_app: Any, world: dict[str, Any]) -> None:
    client = make_app(TOURPLAN_REQUEST_MAX_POSTS=2).test_client()
    url = f"/suivi/{world['token']}/modifier"
    assert client.post(url, data=form_data(world, email="x")).status_code == 422
    assert client.post(url, data=form_data(world, notes="Plutôt le matin.")).status_code == 302
    r = client.post(url, data=form_data(world, notes="Plutôt l'après-midi."))
    assert r.status_code == 429 and "Trop d'envois" in page(r)
    assert [c.proposed for c in all_changes()] == [{"notes": "Plutôt le matin."}]


def test_hostile_text_comes_out_escaped(client: FlaskClient, world: dict[str, Any]) -> None:
    script = "<script>alert(1)</script>\x07"
    url = f"/suivi/{world['token']}"
    assert client.post(url + "/modifier", data=form_data(world, notes=script, message=script)).status_code == 302
    assert all_changes()[0].proposed == {"notes": "<script>alert(1)</script>"}  # control character cleaned away
    raw = client.get(url).get_data(as_text=True)
    assert "<script>alert" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw


# --------------------------------------------------------------------------- #
# The team's inbox
# --------------------------------------------------------------------------- #


@pytest.fixture
def ops_client(app: Flask, world: dict[str, Any]) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login().status_code == 302
    return client


def ask(app: Flask, world: dict[str, Any], **overrides: Any) -> None:
    r = app.test_client().post(f"/suivi/{world['token']}/modifier", data=form_data(world, **overrides))
    assert r.status_code == 302, page(r)


def test_the_inbox_shows_pending_changes_first_with_what_accepting_changes(
        app: Flask, ops_client: FlaskClient, world: dict[str, Any]) -> None:
    assert "Modifications demandées" not in page(ops_client.get("/operateur/demandes/"))
    ask(app, world, activity=str(world["robots"]), message="Les enfants préfèrent les robots.")
    text = page(ops_client.get("/operateur/demandes/"))
    assert "Modifications demandées : 1" in text
    assert 'class="badge">1</span>' in text and ">Modification demandée</a>" in text
    table = text[text.index('<table class="change-table">'):text.index("</table>")]
    assert "Activité" in table
    assert "Aide aux démarches (1 h ; matériel : ordinateurs portables)" in table  # the team's 1 h
    assert "Atelier robots (1 h 30 ; matériel : robots éducatifs, tablettes)" in table
    assert "Les enfants préfèrent les robots." in text
    assert "Accepter la modification" in text and "Refuser la modification" in text
    detail = page(ops_client.get(f"/operateur/demandes/{world['request']}"))
    assert "Modification demandée par la commune" in detail and "Accepter la modification" in detail


def test_accepting_from_the_inbox_applies_it_and_the_commune_sees_it(
        app: Flask, ops_client: FlaskClient, world: dict[str, Any]) -> None:
    ask(app, world, **{"periods-0-start": LATER["start"], "periods-0-end": LATER["end"]})
    (change,) = all_changes()
    r = ops_client.post(f"/operateur/demandes/{world['request']}/modifications/{change.id}/accepter",
                        data={"retour": "index"})
    assert r.status_code == 302 and r.headers["Location"] == "/operateur/demandes/"
    assert "modification acceptée et appliquée" in page(ops_client.get("/operateur/demandes/"))
    assert the_request(world).periods == [LATER]
    text = page(app.test_client().get(f"/suivi/{world['token']}"))
    assert re.search(r"Modification demandée le .* — acceptée le .* : la demande ci-dessus en tient compte", text)
    from web.mail.models import OutboxMessage

    kinds = [m.kind for m in db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]
    assert kinds[-1] == "change_accepted"
    again = ops_client.post(f"/operateur/demandes/{world['request']}/modifications/{change.id}/accepter")
    assert again.status_code == 409 and "déjà « acceptée »" in page(again)


def test_refusing_from_the_inbox_asks_the_reason_the_commune_reads(
        app: Flask, ops_client: FlaskClient, world: dict[str, Any]) -> None:
    ask(app, world, notes="Plutôt le matin.")
    (change,) = all_changes()
    url = f"/operateur/demandes/{world['request']}/modifications/{change.id}/refuser"
    r = ops_client.post(url, data={f"modification-{change.id}-reason": ""})
    assert r.status_code == 422 and "indiquez son motif" in page(r)
    assert all_changes()[0].status == "pending"
    r = ops_client.post(url, data={f"modification-{change.id}-reason": "Le matin est réservé aux écoles."})
    assert r.status_code == 302 and r.headers["Location"] == f"/operateur/demandes/{world['request']}"
    assert the_request(world).notes == "Salle accessible."
    text = page(app.test_client().get(f"/suivi/{world['token']}"))
    assert "refusée le" in text and "Motif : Le matin est réservé aux écoles." in text
    detail = page(ops_client.get(f"/operateur/demandes/{world['request']}"))
    assert "refusée le" in detail and "par ops@example.fr" in detail


def test_a_change_of_another_request_or_an_unknown_one_is_a_404(
        app: Flask, ops_client: FlaskClient, world: dict[str, Any], make: Any) -> None:
    ask(app, world, notes="Plutôt le matin.")
    (change,) = all_changes()
    other = make.request(db.session.get(VisitRequest, world["request"]).season, make.commune(), status="submitted")
    db.session.commit()
    assert ops_client.post(f"/operateur/demandes/{other.id}/modifications/{change.id}/accepter").status_code == 404
    assert ops_client.post(f"/operateur/demandes/{world['request']}/modifications/999/refuser").status_code == 404
    assert all_changes()[0].status == "pending"


# --------------------------------------------------------------------------- #
# In English
# --------------------------------------------------------------------------- #


def test_the_tracking_and_change_pages_speak_english_to_a_visitor_who_chose_it(
        client: FlaskClient, world: dict[str, Any]) -> None:
    url = f"/suivi/{world['token']}"
    client.get("/langue/en")
    r = client.post(url + "/modifier", data=form_data(world, earliest_start="09:00", latest_end="16:30",
                                                      activity=str(world["robots"])))
    assert r.status_code == 302
    text = page(client.get(url))
    for english in ("Your change request is sent", "Change asked on", "waiting for the team",
                    "What you asked to change", "Before", "After", "Possible times", "from 09:00 to 16:30",
                    "no preference", "Received", "laptops", "educational robots, tablets",
                    "Withdraw my change request", "Cancel this request", "by you"):
        assert english in text, english
    # Nothing of the page's own words stays French (names the commune or the team wrote do).
    body = text[text.index("<main"):text.index("</main>")]
    for french in ("Modification demandée", "en attente", "Avant", "Après", "Reçue", "ordinateurs portables",
                   "matériel", "à partir de", "jusqu'à", "sans préférence", "par vous", "Votre demande", "Annuler",
                   "Historique", " à 9 h", " h 00"):
        assert french not in body, french
    form = page(client.get(url + "/modifier"))
    for english in ("Ask for a change", "Message to the team", "Send the change request", "You already asked"):
        assert english in form, english
