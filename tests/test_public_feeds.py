"""iCalendar feeds of the published tour, as subscribers' programs fetch them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import icalendar
import pytest
import recurring_ical_events
import vobject
from flask import Flask
from flask.testing import FlaskClient

from tests.public_data import Row, Tour, next_weekday, published_tour
from tourplan.calendar import local_today
from web.extensions import db
from web.tours.models import Visit

TODAY = local_today()
SUMMER = date(TODAY.year + 1, 7, 1)  # Europe/Paris is UTC+2 then
WINTER = next_weekday(date(TODAY.year + 1, 12, 1), 2)  # ... and UTC+1 then


def _local(day: date, hour: int, minute: int, offset_hours: int) -> datetime:
    """A Paris wall-clock time as UTC, with the offset written by the test."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=offset_hours)


@pytest.fixture
def tour(app: Flask, make: Any) -> dict[str, Any]:
    return published_tour(make, [
        ("mende", "nord", SUMMER, 9 * 60 + 30, 11 * 60 + 30, 0),
        ("mende", "nord", WINTER, 14 * 60, 16 * 60, 1),
        ("marvejols", "sud", SUMMER, 14 * 60, 15 * 60 + 30, 0),
    ])


def _events(data: bytes) -> dict[str, Any]:
    return {str(ev["UID"]): ev for ev in icalendar.Calendar.from_ical(data).walk("VEVENT")}


def test_feed_headers_let_any_site_and_program_read_it(client: FlaskClient, tour: dict[str, Any]) -> None:
    r = client.get("/calendar.ics")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["ETag"]
    assert r.headers["Last-Modified"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_three_parsers_see_the_same_visits_at_the_same_instants(client: FlaskClient, tour: dict[str, Any]) -> None:
    data = client.get("/calendar.ics").data
    a, b, c = tour["ids"]
    expected = {
        f"visit-{a}@localhost": (_local(SUMMER, 9, 30, 2), _local(SUMMER, 11, 30, 2)),
        f"visit-{b}@localhost": (_local(WINTER, 14, 0, 1), _local(WINTER, 16, 0, 1)),
        f"visit-{c}@localhost": (_local(SUMMER, 14, 0, 2), _local(SUMMER, 15, 30, 2)),
    }
    by_icalendar = {
        uid: (ev.decoded("DTSTART").astimezone(UTC), ev.decoded("DTEND").astimezone(UTC))
        for uid, ev in _events(data).items()
    }
    by_vobject = {
        ev.uid.value: (ev.dtstart.value.astimezone(UTC), ev.dtend.value.astimezone(UTC))
        for ev in vobject.readOne(data.decode("utf-8")).vevent_list
    }
    occurrences = recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(TODAY, WINTER + timedelta(1))
    by_recurring = {
        str(ev["UID"]): (ev.decoded("DTSTART").astimezone(UTC), ev.decoded("DTEND").astimezone(UTC))
        for ev in occurrences
    }
    assert by_icalendar == expected
    assert by_vobject == expected
    assert by_recurring == expected


def test_event_says_what_where_and_links_the_visit_page(client: FlaskClient, tour: dict[str, Any]) -> None:
    a = tour["ids"][0]
    ev = _events(client.get("/calendar.ics").data)[f"visit-{a}@localhost"]
    assert ev["SUMMARY"] == "Atelier démarches en ligne – Mende"
    assert ev["LOCATION"] == "Mairie de Mende, Place Charles de Gaulle, 48000 Mende"
    assert (ev["GEO"].latitude, ev["GEO"].longitude) == (44.5181, 3.5006)
    assert ev["URL"] == f"http://localhost/visites/{a}"
    assert "À apporter : Smartphone, identifiants, carte Vitale" in str(ev["DESCRIPTION"])
    assert ev["STATUS"] == "CONFIRMED"
    assert ev.decoded("SEQUENCE") == 0
    assert ev["DTSTART"].params["TZID"] == "Europe/Paris"


def test_calendar_properties_ask_for_refresh(client: FlaskClient, tour: dict[str, Any]) -> None:
    data = client.get("/calendar.ics").data
    cal = icalendar.Calendar.from_ical(data)
    assert cal["X-WR-TIMEZONE"] == "Europe/Paris"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H" in data.decode()
    assert "X-PUBLISHED-TTL:PT6H" in data.decode()
    [tz] = cal.walk("VTIMEZONE")
    assert all("RRULE" in part and "RDATE" not in part for part in tz.subcomponents)


def test_each_feed_has_its_own_prodid_and_visits(client: FlaskClient, tour: dict[str, Any]) -> None:
    a, b, c = tour["ids"]
    mende = client.get("/communes/48095.ics").data
    nord = client.get("/vans/nord.ics").data
    sud = client.get("/vans/sud.ics").data
    everything = client.get("/calendar.ics").data
    assert set(_events(mende)) == {f"visit-{a}@localhost", f"visit-{b}@localhost"}
    assert set(_events(nord)) == {f"visit-{a}@localhost", f"visit-{b}@localhost"}
    assert set(_events(sud)) == {f"visit-{c}@localhost"}
    prodids = {str(icalendar.Calendar.from_ical(d)["PRODID"]) for d in (mende, nord, sud, everything)}
    assert len(prodids) == 4
    assert icalendar.Calendar.from_ical(mende)["X-WR-CALNAME"] == "Camion numérique – Mende"
    assert icalendar.Calendar.from_ical(sud)["X-WR-CALNAME"] == "Camion numérique – Camion Sud"


def test_unknown_commune_or_van_feed_is_404(client: FlaskClient, tour: dict[str, Any]) -> None:
    assert client.get("/communes/99999.ics").status_code == 404
    assert client.get("/vans/inconnu.ics").status_code == 404


def test_commune_without_visits_has_an_empty_valid_feed(client: FlaskClient, tour: dict[str, Any],
                                                         make: Any) -> None:
    make.commune("48001", name="Allenc")
    db.session.commit()
    r = client.get("/communes/48001.ics")
    assert r.status_code == 200
    assert _events(r.data) == {}


def test_matching_etag_gives_304_without_body(client: FlaskClient, tour: dict[str, Any]) -> None:
    first = client.get("/calendar.ics")
    again = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    other = client.get("/calendar.ics", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_if_modified_since_gives_304_until_something_changes(client: FlaskClient, tour: dict[str, Any]) -> None:
    first = client.get("/communes/48095.ics")
    since = client.get("/communes/48095.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    long_ago = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    assert client.get("/communes/48095.ics", headers={"If-Modified-Since": long_ago}).status_code == 200


def test_new_publication_changes_the_feed_and_raises_sequence(client: FlaskClient, tour: dict[str, Any]) -> None:
    a, b, c = tour["ids"]
    first = client.get("/calendar.ics")
    t: Tour = tour["tour"]
    moved = [*tour["rows"]]
    moved[0] = Row(moved[0].request, moved[0].van, SUMMER, 10 * 60, 12 * 60, 0)  # same visit, an hour later
    t.publish(moved)
    # The subscriber's old validator no longer matches: it gets the new feed.
    r = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert r.status_code == 200
    assert r.headers["ETag"] != first.headers["ETag"]
    ev = _events(r.data)[f"visit-{a}@localhost"]  # same UID: updated in place, not duplicated
    assert ev.decoded("SEQUENCE") == 1
    assert ev.decoded("DTSTART").astimezone(UTC) == _local(SUMMER, 10, 0, 2)
    assert _events(r.data)[f"visit-{c}@localhost"].decoded("SEQUENCE") == 0


def test_cancelled_visit_stays_in_the_feed_marked_cancelled(client: FlaskClient, tour: dict[str, Any]) -> None:
    a, b, c = tour["ids"]
    t: Tour = tour["tour"]
    t.publish([r for r in tour["rows"] if r.day != WINTER])  # the winter visit disappears
    ev = _events(client.get("/communes/48095.ics").data)[f"visit-{b}@localhost"]
    assert ev["STATUS"] == "CANCELLED"
    assert ev.decoded("SEQUENCE") == 1
    assert ev["SUMMARY"] == "ANNULÉ – Atelier démarches en ligne – Mende"
    assert _events(client.get("/communes/48095.ics").data)[f"visit-{a}@localhost"]["STATUS"] == "CONFIRMED"


def test_cancelled_visit_leaves_the_feed_once_its_day_has_passed(client: FlaskClient, tour: dict[str, Any]) -> None:
    a, b, c = tour["ids"]
    # Publication only cancels future visits; a visit cancelled earlier whose day is
    # now over is set up directly (there is no other way to reach that state today).
    visit = db.session.get(Visit, b)
    visit.date = TODAY - timedelta(days=2)
    visit.status = "cancelled"
    visit.cancelled_at = datetime.now(UTC) - timedelta(days=5)
    visit.revision += 1
    visit.updated_at = datetime.now(UTC)
    db.session.commit()
    uids = set(_events(client.get("/calendar.ics").data))
    assert f"visit-{b}@localhost" not in uids
    assert f"visit-{a}@localhost" in uids


def test_single_visit_file_is_an_attachment_with_the_feed_uid(client: FlaskClient, tour: dict[str, Any]) -> None:
    a = tour["ids"][0]
    r = client.get(f"/visites/{a}.ics")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert r.headers["Content-Disposition"] == f'attachment; filename="visite-{a}.ics"'
    assert list(_events(r.data)) == [f"visit-{a}@localhost"]
    assert client.get("/visites/999999.ics").status_code == 404


def test_uid_host_comes_from_configuration(make_app: Any, tour: dict[str, Any]) -> None:
    other = make_app(TOURPLAN_UID_HOST="tournee.example.fr")
    data = other.test_client().get("/calendar.ics", base_url="http://127.0.0.1:5000").data
    assert f"visit-{tour['ids'][0]}@tournee.example.fr" in _events(data)
