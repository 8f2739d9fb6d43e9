"""A published series as one thing (issue 10): tracking page, commune page, poster and feeds
of a cycle; the circuit page; and end to end, a cycle planned by the real optimiser keeps
its weekday and its hour once published."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import icalendar
import pytest
import recurring_ical_events
import vobject
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import AuthActions
from tests.desk_helpers import operator
from tests.public_data import Row, Tour, activity
from web.extensions import db
from web.requests.models import VisitRequest

TUESDAYS = [date(2027, 3, 2) + timedelta(days=7 * k) for k in range(4)]
SUMMARY = "Atelier tablette : 4 séances, les mardis 9 h 30, du 2 au 23 mars"


@pytest.fixture
def cycle(make: Any, db_session: Any) -> dict[str, Any]:
    """A weekly cycle of four Tuesday sessions at 9 h 30 in Mende, published (and a single
    visit in the same commune, which stays on its own)."""
    season = make.season("mars")
    tour = Tour(season=season)
    van = make.van("nord", name="Camion Nord")
    mende = make.commune("48095", name="Mende", postal_codes=["48000"], townhall_address="Place Urbain V")
    tablet = activity("tablette", name="Atelier tablette", duration_minutes=90)
    single = activity("demarches", name="Aide aux démarches")
    db_session.flush()
    req = make.request(season, mende, activity=tablet, label="Atelier tablette – Mende", contact_name="Mme Roux",
                       occurrences=4, min_days_between=7, max_days_between=7, same_weekday=True,
                       same_start_within_minutes=0)
    other = make.request(season, mende, activity=single, label="Aide aux démarches – Mende")
    db_session.commit()
    rows = [Row(req, van, d, 570, 660, occurrence=k) for k, d in enumerate(TUESDAYS)]
    rows.append(Row(other, van, date(2027, 3, 4), 600, 720))
    visits = tour.publish(rows)
    return {"request": req, "visits": visits[:4], "single": visits[4]}


def test_the_tracking_page_shows_the_cycle_as_one_thing(client: FlaskClient, cycle: dict[str, Any]) -> None:
    text = html.unescape(client.get(f"/suivi/{cycle['request'].tracking_token}").get_data(as_text=True))
    text = text.replace("\u00a0", " ")  # times and dates never wrap: read their spaces as spaces
    assert SUMMARY in text
    assert "4 séances, une par semaine, même jour et même heure" in text  # the rhythm asked for
    for day in ("2", "9", "16", "23"):
        assert f"le mardi {day} mars 2027 de 9 h 30 à 11 h 00" in text


def test_the_commune_page_shows_the_cycle_with_its_sessions(client: FlaskClient, cycle: dict[str, Any]) -> None:
    # Times and dates carry non-breaking spaces (they never wrap): read them as spaces.
    text = html.unescape(client.get("/communes/48095").get_data(as_text=True)).replace("\xa0", " ")
    series = re.search(r'<li class="series">(.*?)</ul>\s*</li>', text, re.S)
    assert series is not None and SUMMARY in series.group(1)
    assert [f"séance {k} sur 4" for k in range(1, 5)] == re.findall(r"séance \d sur 4", series.group(1))
    # The single visit is listed on its own, outside the series.
    assert "Aide aux démarches" in text and "Aide aux démarches" not in series.group(1)


def test_the_commune_page_in_english_says_the_series_in_english(client: FlaskClient, cycle: dict[str, Any]) -> None:
    client.get("/langue/en")
    text = html.unescape(client.get("/communes/48095").get_data(as_text=True))
    assert "Atelier tablette: 4 sessions, on Tuesdays" in text and "from 2 to 23 March" in text
    assert "session 2 of 4" in text


def test_a_cycle_poster_lists_all_its_sessions(client: FlaskClient, cycle: dict[str, Any], auth: AuthActions) -> None:
    operator()
    auth.login()
    text = html.unescape(client.get(f"/operateur/planification/visites/{cycle['visits'][1].id}/affiche")
                         .get_data(as_text=True)).replace("\xa0", " ")
    assert "4 séances, les mardis 9 h 30, du 2 au 23 mars" in text
    sessions = re.search(r'<ol class="sessions">(.*?)</ol>', text, re.S).group(1)
    assert re.findall(r"(\d+) mars 2027", sessions) == [str(d.day) for d in TUESDAYS]
    single = html.unescape(client.get(f"/operateur/planification/visites/{cycle['single'].id}/affiche")
                           .get_data(as_text=True))
    assert 'class="sessions"' not in single


def test_feeds_keep_one_event_per_session_each_naming_its_place(client: FlaskClient, cycle: dict[str, Any]) -> None:
    data = client.get("/communes/48095.ics").data
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}
    for k, v in enumerate(cycle["visits"], 1):
        ev = events[f"visit-{v.id}@localhost"]
        assert str(ev["SUMMARY"]) == f"Atelier tablette – Mende (séance {k} sur 4)"
    assert str(events[f"visit-{cycle['single'].id}@localhost"]["SUMMARY"]) == "Aide aux démarches – Mende"
    # Other readers agree: four separate events (no recurrence rule), each with its title.
    parsed = vobject.readOne(data.decode())
    titles = sorted(e.summary.value for e in parsed.vevent_list if "tablette" in e.summary.value)
    assert titles == [f"Atelier tablette – Mende (séance {k} sur 4)" for k in range(1, 5)]
    occurrences = recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(date(2027, 3, 1),
                                                                                      date(2027, 4, 1))
    assert sorted(e["DTSTART"].dt.date() for e in occurrences if "tablette" in str(e["SUMMARY"])) == TUESDAYS
    # The single-visit file says the same as the feed.
    one = icalendar.Calendar.from_ical(client.get(f"/visites/{cycle['visits'][2].id}.ics").data)
    assert str(next(iter(one.walk("VEVENT")))["SUMMARY"]) == "Atelier tablette – Mende (séance 3 sur 4)"


def test_a_cancelled_session_leaves_the_others_numbered_among_themselves(
    client: FlaskClient, cycle: dict[str, Any]
) -> None:
    from web.core.types import utcnow

    v = db.session.get(type(cycle["visits"][1]), cycle["visits"][1].id)
    v.status, v.cancelled_at, v.revision, v.updated_at = "cancelled", utcnow(), v.revision + 1, utcnow()
    db.session.commit()
    data = client.get("/calendar.ics").data
    titles = {str(e["UID"]): str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}
    assert titles[f"visit-{v.id}@localhost"] == "ANNULÉ – Atelier tablette – Mende"
    third = cycle["visits"][2].id
    assert titles[f"visit-{third}@localhost"] == "Atelier tablette – Mende (séance 2 sur 3)"


# --------------------------------------------------------------------------- #
# Circuit
# --------------------------------------------------------------------------- #


@pytest.fixture
def villages(client: FlaskClient, make: Any, db_session: Any, auth: AuthActions) -> dict[str, Any]:
    from web.activities.models import Activity

    season = make.season("printemps", start=date(2027, 3, 1), end=date(2027, 6, 30))
    for insee, name, postal in (("48001", "Altier", "48800"), ("48002", "Balsièges", "48000"),
                                ("48003", "Chanac", "48230"), ("48004", "Saint-Martin-de-Boubaux", "48160"),
                                ("48005", "Saint-Martin-de-Lansuscle", "48110")):
        make.commune(insee, name=name, postal_codes=[postal])
    ami = Activity(slug="ami", name="AMI des villages", duration_minutes=180)
    db_session.add(ami)
    db_session.commit()
    operator()
    auth.login()
    return {"season": season.id, "activity": ami.id}


def circuit_data(villages: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = {"season": str(villages["season"]), "activity": str(villages["activity"]),
            "communes": "Altier\nBalsièges (48000)\n48003", "start": "2027-03-01", "end": "2027-06-30",
            "rhythm": "round", "occurrences": "6", "every_weeks": "2", "margin_days": "0",
            "earliest_start": "09:00", "latest_end": "13:00"}
    data.update(overrides)
    return data


def _count() -> int:
    return db.session.execute(select(func.count(VisitRequest.id))).scalar_one()


def test_a_circuit_creates_one_accepted_request_per_commune_with_the_rhythm(
    client: FlaskClient, villages: dict[str, Any]
) -> None:
    r = client.post("/operateur/demandes/circuit", data=circuit_data(villages))
    assert r.status_code == 302, html.unescape(r.get_data(as_text=True))[:3000]
    reqs = list(db.session.execute(select(VisitRequest).order_by(VisitRequest.id)).scalars())
    assert [q.commune.name for q in reqs] == ["Altier", "Balsièges", "Chanac"]
    for q in reqs:
        assert q.status == "accepted" and q.label == f"AMI des villages – {q.commune.name}"
        assert (q.occurrences, q.min_days_between, q.max_days_between, q.same_weekday) == (6, 14, 14, True)
        assert (q.earliest_start, q.latest_end, q.periods) == (540, 780, [{"start": "2027-03-01",
                                                                           "end": "2027-06-30"}])


def test_a_circuit_line_naming_several_communes_is_refused_naming_it(
    client: FlaskClient, villages: dict[str, Any]
) -> None:
    r = client.post("/operateur/demandes/circuit",
                    data=circuit_data(villages, communes="Altier\nSaint-Martin\nNullepart\nAltier"))
    text = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 422
    assert "Ligne 2 (« Saint-Martin ») : plusieurs communes correspondent" in text
    assert "ligne 3 (« Nullepart ») : aucune commune ne correspond" in text
    assert "ligne 4 (« Altier ») : Altier est déjà à la ligne 1" in text
    assert _count() == 0


def test_a_circuit_is_all_or_nothing(client: FlaskClient, make: Any, villages: dict[str, Any]) -> None:
    from web.activities.models import Activity
    from web.communes.models import Commune
    from web.seasons.models import Season

    # Chanac (third of the list) already asked for this activity: the two before it were
    # created in the transaction, and none may stay.
    season, ami = db.session.get(Season, villages["season"]), db.session.get(Activity, villages["activity"])
    make.request(season, db.session.get(Commune, "48003"), activity=ami, label="Déjà là")
    db.session.commit()
    r = client.post("/operateur/demandes/circuit", data=circuit_data(villages))
    text = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 422
    assert "Aucune demande n'est créée. Chanac a déjà une demande « AMI des villages » pour cette saison" in text
    assert _count() == 1


def test_a_circuit_whose_period_cannot_hold_the_rhythm_says_so(client: FlaskClient, villages: dict[str, Any]) -> None:
    r = client.post("/operateur/demandes/circuit", data=circuit_data(villages, end="2027-04-15"))
    text = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 422
    assert re.search(r'id="occurrences-erreur">.*ne peuvent contenir que seulement 4 des 6 passages', text)
    assert _count() == 0


# --------------------------------------------------------------------------- #
# End to end, with the real optimiser
# --------------------------------------------------------------------------- #


def test_a_cycle_accepted_planned_and_published_keeps_its_weekday_and_hour(
    app: Flask, client: FlaskClient, make: Any, db_session: Any
) -> None:
    from web.tours.models import Visit
    from web.tours.operations import plan_season, publish_version

    make.van("truck-1")
    season = make.season("mars", start=date(2027, 3, 1), end=date(2027, 3, 31))
    mende = make.commune("48095", name="Mende")
    other = make.commune("48002", name="Balsièges", lat=44.4817, lon=3.4567)
    req = make.request(season, mende, status="submitted", label="Atelier tablette – Mende", duration_minutes=90,
                       occurrences=4, min_days_between=7, max_days_between=7, same_weekday=True,
                       same_start_within_minutes=0, earliest_start=9 * 60, latest_end=17 * 60)
    make.request(season, other, label="Permanence", duration_minutes=240, occurrences=3, min_days_between=2)
    db_session.commit()
    from web.requests.operations import accept

    accept(req, "ops@example.fr")
    db_session.commit()
    version = plan_season(season, time_limit=2.0, created_by="test@ops", today=date(2026, 11, 1))
    publish_version(version.id, by="test@ops")
    sessions = list(db_session.execute(
        select(Visit).where(Visit.request_id == req.id, Visit.status == "scheduled").order_by(Visit.date)).scalars())
    assert len(sessions) == 4
    assert len({v.date.isoweekday() for v in sessions}) == 1
    assert len({v.start for v in sessions}) == 1
    assert [(b.date - a.date).days for a, b in zip(sessions, sessions[1:], strict=False)] == [7, 7, 7]
    assert db_session.get(VisitRequest, req.id).status == "planned"
    page = html.unescape(client.get(f"/suivi/{req.tracking_token}").get_data(as_text=True))
    assert "Atelier tablette – Mende : 4 séances, les " in page
