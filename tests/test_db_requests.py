"""Visit requests: the status machine, its history, the tracking token."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from web.core.errors import OperationError, TransitionError
from web.requests.models import RequestStatusChange
from web.requests.operations import TRANSITIONS, change_status, create_request, find_by_token


def test_a_new_request_is_submitted_with_its_creation_in_history(db_session, make):
    req = make.request(make.season(), make.commune(name="Florac"), status="submitted")
    db_session.commit()
    assert req.status == "submitted"
    assert [(h.from_status, h.to_status, h.by) for h in req.history] == [(None, "submitted", "commune")]
    # The venue defaults to the town hall.
    assert req.venue_label == "Mairie de Florac"
    assert (req.lat, req.lon) == (req.commune.lat, req.commune.lon)


def test_every_status_change_is_kept_with_who_and_when(db_session, make):
    req = make.request(make.season(), make.commune(), status="submitted")
    change_status(req, "accepted", "ana@ops", "bonne idée")
    change_status(req, "planned", "ana@ops")
    change_status(req, "done", "system")
    db_session.commit()
    rows = db_session.execute(
        select(RequestStatusChange).where(RequestStatusChange.request_id == req.id).order_by(RequestStatusChange.id)
    ).scalars().all()
    assert [(r.from_status, r.to_status, r.by) for r in rows] == [
        (None, "submitted", "commune"),
        ("submitted", "accepted", "ana@ops"),
        ("accepted", "planned", "ana@ops"),
        ("planned", "done", "system"),
    ]
    assert rows[1].note == "bonne idée"
    assert all(r.at is not None and r.at.tzinfo is not None for r in rows)


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (["accepted", "planned"], "submitted"),
        ([], "planned"),
        ([], "done"),
        (["declined"], "accepted"),
        (["cancelled"], "submitted"),
        (["accepted", "planned", "done"], "cancelled"),
    ],
)
def test_refused_transitions_change_nothing(db_session, make, path, refused):
    req = make.request(make.season(), make.commune(), status="submitted")
    for step in path:
        change_status(req, step, "ana@ops", "motif")
    before = (req.status, len(req.history))
    with pytest.raises(TransitionError, match="ne peut pas passer"):
        change_status(req, refused, "ana@ops", "motif")
    assert (req.status, len(req.history)) == before


def test_the_machine_matches_the_documented_edges():
    assert TRANSITIONS["submitted"] == {"accepted", "declined", "cancelled"}
    assert TRANSITIONS["accepted"] == {"planned", "declined", "cancelled"}
    assert TRANSITIONS["planned"] == {"done", "cancelled", "accepted"}
    assert TRANSITIONS["done"] == set() and TRANSITIONS["cancelled"] == set()


def test_declining_needs_a_reason(db_session, make):
    req = make.request(make.season(), make.commune(), status="submitted")
    with pytest.raises(OperationError, match="motivé"):
        change_status(req, "declined", "ana@ops", "  ")
    change_status(req, "declined", "ana@ops", "trop loin")
    assert req.decline_reason == "trop loin"


def test_tracking_tokens_are_long_unique_and_find_their_request(db_session, make):
    season, commune = make.season(), make.commune()
    reqs = [make.request(season, commune, status="submitted") for _ in range(20)]
    db_session.commit()
    tokens = {r.tracking_token for r in reqs}
    assert len(tokens) == 20
    assert all(len(t) >= 32 for t in tokens)
    assert find_by_token(reqs[3].tracking_token) is reqs[3]
    assert find_by_token(reqs[3].tracking_token[:-1]) is None
    assert find_by_token("") is None


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"periods": [{"start": "2027-03-10", "end": "2027-03-01"}]}, "periods[0]"),
        ({"periods": [{"start": "demain"}]}, "periods[0]"),
        ({"weekdays": [0, 8]}, "weekdays"),
        ({"earliest_start": 900, "latest_end": 600}, "latest_end"),
        ({"structure_kind": "club"}, "structure_kind"),
        ({"venue_lat": 44.0}, "venue_lat"),
        ({"priority": 6}, "priority"),  # the 1-5 scale, said before the database's check refuses it
        ({"priority": 0}, "priority"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(db_session, make, fields, where):
    season, commune = make.season(), make.commune()
    db_session.commit()
    with pytest.raises(OperationError) as e:
        create_request(season=season, commune=commune, label="Atelier", **{"duration_minutes": 60, **fields})
    assert e.value.where == where
    db_session.rollback()


def test_unknown_commune_is_named(db_session, make):
    season = make.season()
    with pytest.raises(OperationError, match="99999"):
        create_request(season=season, commune="99999", label="Atelier", duration_minutes=60)


@pytest.mark.parametrize(("field", "limit"), [("phone", 40), ("contact_name", 200), ("label", 300)])
def test_too_long_texts_are_refused_on_every_database(db_session, make, field, limit):
    season, commune = make.season(), make.commune()
    db_session.commit()
    fields = {"duration_minutes": 60, "label": "Atelier", field: "x" * (limit + 1)}
    label = fields.pop("label")
    with pytest.raises(OperationError, match=f"{limit} caractères") as e:
        create_request(season=season, commune=commune, label=label, **fields)
    assert e.value.where == field


def test_an_operator_priority_stays_on_the_1_to_5_scale(db_session, make):
    from web.requests.operations import set_priority

    req = make.request(make.season(), make.commune(), priority=2)
    db_session.commit()
    with pytest.raises(OperationError, match="entre 1 et 5") as e:
        set_priority(req, 6, "op@example.org")
    assert (e.value.where, req.priority) == ("priority", 2)
    assert set_priority(req, 5, "op@example.org").note == "Priorité 2 → 5"
