"""The iCalendar builder, read back by three independent parsers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import vobject

from tourplan.ical import FeedError, FeedEvent, build_feed, build_single_event, local_span, still_listed, visit_uid

STAMP = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def make_event(visit_id: int, day: date, start_min: int, end_min: int, **kw) -> FeedEvent:
    s, e = local_span(day, start_min, end_min)
    fields = {
        "uid": visit_uid(visit_id, "tour.example.org"),
        "sequence": 0,
        "summary": f"Atelier numérique {visit_id}",
        "start": s,
        "end": e,
        "dtstamp": STAMP,
        "last_modified": STAMP,
        "location": "Mairie, 2 place de l'Église, 48000 Mende",
        "geo": (44.5181, 3.5006),
        "url": f"https://tour.example.org/visites/{visit_id}",
        "description": "Démarches en ligne\nÀ apporter : smartphone, identifiants",
    }
    fields.update(kw)
    return FeedEvent(**fields)


# A summer (UTC+2) and a winter (UTC+1) visit: the UTC instants are written out
# by hand, not computed by the code under test.
SUMMER = make_event(1, date(2026, 7, 1), 9 * 60 + 30, 11 * 60 + 30)
WINTER = make_event(2, date(2026, 12, 2), 14 * 60, 16 * 60, sequence=3, cancelled=True)
EXPECTED_UTC = {
    "visit-1@tour.example.org": (datetime(2026, 7, 1, 7, 30, tzinfo=UTC), datetime(2026, 7, 1, 9, 30, tzinfo=UTC)),
    "visit-2@tour.example.org": (datetime(2026, 12, 2, 13, 0, tzinfo=UTC), datetime(2026, 12, 2, 15, 0, tzinfo=UTC)),
}


@pytest.fixture(scope="module")
def feed() -> bytes:
    return build_feed([WINTER, SUMMER], name="Tournée du bus numérique", prodid="-//tourplan//calendar//FR")


def test_icalendar_reads_the_visits_at_the_right_instants(feed: bytes) -> None:
    cal = icalendar.Calendar.from_ical(feed)
    got = {
        str(ev["UID"]): (ev.decoded("DTSTART").astimezone(UTC), ev.decoded("DTEND").astimezone(UTC))
        for ev in cal.walk("VEVENT")
    }
    assert got == EXPECTED_UTC


def test_vobject_reads_the_same_instants(feed: bytes) -> None:
    cal = vobject.readOne(feed.decode("utf-8"))
    got = {
        ev.uid.value: (ev.dtstart.value.astimezone(UTC), ev.dtend.value.astimezone(UTC)) for ev in cal.vevent_list
    }
    assert got == EXPECTED_UTC


def test_recurring_ical_events_reads_the_same_instants(feed: bytes) -> None:
    cal = icalendar.Calendar.from_ical(feed)
    occurrences = recurring_ical_events.of(cal).between(date(2026, 1, 1), date(2027, 1, 1))
    got = {
        str(ev["UID"]): (ev.decoded("DTSTART").astimezone(UTC), ev.decoded("DTEND").astimezone(UTC))
        for ev in occurrences
    }
    assert got == EXPECTED_UTC


def test_every_event_carries_the_required_properties(feed: bytes) -> None:
    cal = icalendar.Calendar.from_ical(feed)
    summer = next(ev for ev in cal.walk("VEVENT") if ev["UID"] == "visit-1@tour.example.org")
    assert summer["SUMMARY"] == "Atelier numérique 1"
    assert summer["STATUS"] == "CONFIRMED"
    assert summer.decoded("SEQUENCE") == 0
    assert summer.decoded("DTSTAMP") == STAMP
    assert summer.decoded("LAST-MODIFIED") == STAMP
    assert summer["DTSTART"].params["TZID"] == "Europe/Paris"
    assert summer["URL"] == "https://tour.example.org/visites/1"
    assert summer["LOCATION"] == "Mairie, 2 place de l'Église, 48000 Mende"
    assert summer["DESCRIPTION"] == "Démarches en ligne\nÀ apporter : smartphone, identifiants"
    geo = summer["GEO"]
    assert (geo.latitude, geo.longitude) == (44.5181, 3.5006)
    # The commas of the address are escaped on the wire (RFC 5545 TEXT).
    assert b"LOCATION:Mairie\\, 2 place de l'\xc3\x89glise\\, 48000 Mende" in feed


def test_cancelled_visit_is_marked_in_status_sequence_and_title(feed: bytes) -> None:
    cal = icalendar.Calendar.from_ical(feed)
    winter = next(ev for ev in cal.walk("VEVENT") if ev["UID"] == "visit-2@tour.example.org")
    assert winter["STATUS"] == "CANCELLED"
    assert winter.decoded("SEQUENCE") == 3
    assert winter["SUMMARY"] == "ANNULÉ – Atelier numérique 2"


def test_calendar_header_asks_clients_to_refresh(feed: bytes) -> None:
    cal = icalendar.Calendar.from_ical(feed)
    assert cal["PRODID"] == "-//tourplan//calendar//FR"
    assert cal["VERSION"] == "2.0"
    assert cal["X-WR-CALNAME"] == "Tournée du bus numérique"
    assert cal["X-WR-TIMEZONE"] == "Europe/Paris"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in feed
    assert b"X-PUBLISHED-TTL:PT6H\r\n" in feed


def test_vtimezone_uses_rrules_only(feed: bytes) -> None:
    cal = icalendar.Calendar.from_ical(feed)
    [tz] = cal.walk("VTIMEZONE")
    assert tz["TZID"] == "Europe/Paris"
    parts = tz.walk("STANDARD") + tz.walk("DAYLIGHT")
    assert len(parts) == 2
    for part in parts:
        assert "RRULE" in part
        assert "RDATE" not in part


def test_vtimezone_agrees_with_zoneinfo_for_years_to_come(feed: bytes) -> None:
    # Read the zone back as a parser would (icalendar builds a tzinfo from the
    # VTIMEZONE alone), and compare every hour around each switch with zoneinfo.
    [tz] = icalendar.Calendar.from_ical(feed).walk("VTIMEZONE")
    parsed = tz.to_tz()
    for year in range(2025, 2038):
        for month in (3, 10):
            last_day = date(year, month, 31)
            sunday = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
            for hour in range(-24, 48):
                instant = datetime(sunday.year, sunday.month, sunday.day, tzinfo=UTC) + timedelta(hours=hour)
                assert instant.astimezone(parsed).utcoffset() == instant.astimezone(PARIS).utcoffset(), instant


def test_texts_cannot_inject_properties_or_components() -> None:
    nasty = "x\nSTATUS:CANCELLED\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil; \"<script>alert(1)</script>\""
    ev = make_event(7, date(2026, 7, 2), 600, 660, summary=nasty, location=nasty, description=nasty)
    data = build_feed([ev], name=nasty, prodid="-//t//x//FR")
    cal = icalendar.Calendar.from_ical(data)
    [only] = cal.walk("VEVENT")
    assert only["UID"] == "visit-7@tour.example.org"
    assert only["STATUS"] == "CONFIRMED"
    assert only["SUMMARY"] == nasty
    assert only["LOCATION"] == nasty
    # icalendar hands X- properties back raw; vobject unescapes them as TEXT.
    assert vobject.readOne(data.decode("utf-8")).x_wr_calname.value == nasty


def test_same_input_gives_same_bytes_whatever_the_order() -> None:
    a = build_feed([SUMMER, WINTER], name="n", prodid="p")
    b = build_feed([WINTER, SUMMER], name="n", prodid="p")
    assert a == b


def test_single_event_file_keeps_the_feed_uid() -> None:
    cal = icalendar.Calendar.from_ical(build_single_event(SUMMER, prodid="-//tourplan//visit//FR"))
    [ev] = cal.walk("VEVENT")
    assert ev["UID"] == "visit-1@tour.example.org"
    assert ev.decoded("DTSTART").astimezone(UTC) == EXPECTED_UTC["visit-1@tour.example.org"][0]
    assert len(cal.walk("VTIMEZONE")) == 1


def test_end_of_day_is_next_midnight() -> None:
    start, end = local_span(date(2026, 3, 28), 22 * 60, 24 * 60)
    assert end == datetime(2026, 3, 29, 0, 0, tzinfo=PARIS)
    assert end - start == timedelta(hours=2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dtstamp": datetime(2026, 6, 1, 8, 0)}, "dtstamp must be timezone-aware"),
        ({"end": datetime(2026, 7, 1, 9, 0, tzinfo=PARIS)}, "is not after start"),
        ({"start": datetime(2026, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))}, "start must carry a zoneinfo"),
        ({"start": datetime(2026, 7, 1, 5, 0, tzinfo=ZoneInfo("America/Guadeloupe"))}, "different time zones"),
        ({"sequence": -1}, "sequence must be >= 0"),
    ],
)
def test_bad_records_are_refused_with_a_clear_message(changes: dict, message: str) -> None:
    ev = make_event(9, date(2026, 7, 1), 600, 660, **changes)
    with pytest.raises(FeedError, match=message) as info:
        build_feed([ev], name="n", prodid="p")
    assert "visit-9@tour.example.org" in str(info.value)


def test_cancelled_visits_leave_the_feed_once_their_day_has_passed() -> None:
    today = date(2026, 7, 10)
    assert still_listed(date(2026, 7, 10), cancelled=True, today=today)
    assert not still_listed(date(2026, 7, 9), cancelled=True, today=today)
    assert still_listed(date(2026, 7, 9), cancelled=False, today=today)


def test_overseas_visits_get_their_own_time_zone() -> None:
    # A commune of Guadeloupe (UTC-4 all year) in the same feed as a Paris visit.
    s, e = local_span(date(2026, 12, 2), 9 * 60, 10 * 60, "America/Guadeloupe")
    overseas = make_event(5, date(2026, 12, 2), 0, 1, start=s, end=e)
    data = build_feed([SUMMER, overseas], name="n", prodid="p")
    cal = icalendar.Calendar.from_ical(data)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris", "America/Guadeloupe"]
    got = {ev.uid.value: ev.dtstart.value.astimezone(UTC) for ev in vobject.readOne(data.decode()).vevent_list}
    assert got["visit-5@tour.example.org"] == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
