"""iCalendar feeds of the published tour (RFC 5545), built from plain records.

No Flask here: the web layer turns database rows into :class:`FeedEvent` and
serves the bytes.  Choices that matter to the calendar programs reading us:

* UID ``visit-<id>@<host>`` is the visit's stable identifier, never reused, so a
  subscriber's copy is updated in place rather than duplicated;
* SEQUENCE is the visit's revision: it rises when date, time or place change and
  on cancellation, which is how clients know the newer copy wins;
* a cancelled visit stays in the feed with ``STATUS:CANCELLED`` and a title
  prefixed "ANNULÉ – " (the caller drops it once its date has passed);
* a session of a series (a training cycle, a regular round) stays one event of its
  own (its own UID), its title naming its place: "… (séance 2 sur 4)";
* times are local to Europe/Paris with a VTIMEZONE written with RRULEs: the one
  icalendar derives from zoneinfo lists every transition as RDATE, and some
  parsers misread RDATE-only zones (or stop at the last listed year);
* output is deterministic for the same input (no "now" inside), so the bytes —
  and the HTTP ETag computed on them — only change when the tour does;
* an e-mailed invitation (iTIP, RFC 5546: :func:`build_invitation`) is the same VEVENT
  as in the feeds — same UID, same SEQUENCE — with ``METHOD:REQUEST`` (or ``CANCEL``),
  an organizer and the invited attendee, so that a calendar which received the
  invitation and also subscribes to the feed holds the visit once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vDuration, vText

CANCELLED_PREFIX = "ANNULÉ – "
DEFAULT_TZID = "Europe/Paris"
#: How often subscribers should poll (publications are at most daily).
DEFAULT_REFRESH = timedelta(hours=6)

# The EU rule in force since 1996 (last Sunday of March 02:00 -> 03:00, last
# Sunday of October 03:00 -> 02:00), as published by tzurl.org.  Written once
# here with RRULEs; tests check it against zoneinfo over the coming years.
_VTIMEZONES: dict[str, str] = {
    "Europe/Paris": (
        "BEGIN:VTIMEZONE\r\n"
        "TZID:Europe/Paris\r\n"
        "X-LIC-LOCATION:Europe/Paris\r\n"
        "BEGIN:DAYLIGHT\r\n"
        "TZNAME:CEST\r\n"
        "TZOFFSETFROM:+0100\r\n"
        "TZOFFSETTO:+0200\r\n"
        "DTSTART:19700329T020000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
        "END:DAYLIGHT\r\n"
        "BEGIN:STANDARD\r\n"
        "TZNAME:CET\r\n"
        "TZOFFSETFROM:+0200\r\n"
        "TZOFFSETTO:+0100\r\n"
        "DTSTART:19701025T030000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
        "END:STANDARD\r\n"
        "END:VTIMEZONE\r\n"
    ),
}


class FeedError(ValueError):
    """A record that cannot become a valid VEVENT (says which and why)."""


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One public visit as a calendar event.

    ``start``/``end`` are aware datetimes in a zoneinfo zone, usually the
    feed's (see :func:`local_span`); ``dtstamp``/``last_modified`` are aware (any zone,
    written in UTC).  Texts are plain user text: the library escapes them.
    """

    uid: str
    sequence: int
    summary: str
    start: datetime
    end: datetime
    dtstamp: datetime
    last_modified: datetime
    location: str = ""
    geo: tuple[float, float] | None = None
    url: str = ""
    description: str = ""
    cancelled: bool = False
    #: Place in a series as (k, n), 1-based, and what a session is called ("séance", "passage").
    series: tuple[int, int] | None = None
    series_word: str = "séance"

    @property
    def status(self) -> str:
        return "CANCELLED" if self.cancelled else "CONFIRMED"

    @property
    def title(self) -> str:
        """SUMMARY as written: cancelled visits say so in the title too,
        because many programs ignore STATUS:CANCELLED when displaying; a session of a
        series says which one it is, since calendars show each session alone."""
        title = self.summary
        if self.series is not None:
            title += f" ({self.series_word} {self.series[0]} sur {self.series[1]})"
        return CANCELLED_PREFIX + title if self.cancelled else title


def visit_uid(visit_id: int, host: str) -> str:
    """The stable UID of a visit (``visit-<id>@<host>``)."""
    return f"visit-{int(visit_id)}@{host}"


def local_span(day: date, start_minutes: int, end_minutes: int, tz: str | tzinfo = DEFAULT_TZID
               ) -> tuple[datetime, datetime]:
    """A day and minutes after midnight as aware local datetimes (24:00 is next midnight)."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    midnight = datetime(day.year, day.month, day.day)
    start = (midnight + timedelta(minutes=start_minutes)).replace(tzinfo=zone)
    end = (midnight + timedelta(minutes=end_minutes)).replace(tzinfo=zone)
    return start, end


def vtimezone(tzid: str) -> Timezone:
    """The VTIMEZONE of ``tzid``: hand-written RRULE form when known, else
    icalendar's derivation from zoneinfo (RDATE form, still correct)."""
    text = _VTIMEZONES.get(tzid)
    if text is not None:
        return Timezone.from_ical(text)
    return Timezone.from_tzid(tzid)


def _zone_key(value: datetime) -> str | None:
    """The IANA name of an aware datetime's zone (None for fixed offsets, UTC
    aliases aside): a TZID must name a VTIMEZONE we can write."""
    return getattr(value.tzinfo, "key", None)


def _utc(value: datetime, what: str, uid: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise FeedError(f"{uid}: {what} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


def _event(ev: FeedEvent) -> Event:
    for what, value in (("start", ev.start), ("end", ev.end)):
        if _zone_key(value) is None:
            raise FeedError(f"{ev.uid}: {what} must carry a zoneinfo time zone, got {value.tzinfo!r}")
    if _zone_key(ev.start) != _zone_key(ev.end):
        raise FeedError(f"{ev.uid}: start and end are in different time zones")
    if ev.end <= ev.start:
        raise FeedError(f"{ev.uid}: end {ev.end.isoformat()} is not after start {ev.start.isoformat()}")
    if ev.sequence < 0:
        raise FeedError(f"{ev.uid}: sequence must be >= 0, got {ev.sequence}")
    e = Event()
    e.add("uid", ev.uid)
    e.add("sequence", ev.sequence)
    e.add("dtstamp", _utc(ev.dtstamp, "dtstamp", ev.uid))
    e.add("last-modified", _utc(ev.last_modified, "last_modified", ev.uid))
    e.add("dtstart", ev.start)
    e.add("dtend", ev.end)
    e.add("summary", ev.title)
    if ev.location:
        e.add("location", ev.location)
    if ev.geo is not None:
        lat, lon = ev.geo
        e.add("geo", (round(float(lat), 6), round(float(lon), 6)))
    if ev.url:
        e.add("url", ev.url)
    if ev.description:
        e.add("description", ev.description)
    e.add("status", ev.status)
    # A visit is a place to go, not a meeting that blocks the subscriber's time.
    e.add("transp", "TRANSPARENT")
    return e


def build_calendar(events: Iterable[FeedEvent], *, name: str, prodid: str, tzid: str = DEFAULT_TZID,
                   refresh: timedelta = DEFAULT_REFRESH, description: str = "") -> bytes:
    """A whole VCALENDAR (a subscribable feed, or a single-event file).

    Events are written in (start, uid) order so equal input gives equal bytes.
    """
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # X- properties are not typed by the library: make them TEXT so line breaks
    # and commas in a commune's name are escaped rather than refused.
    cal.add("x-wr-calname", vText(name))
    if description:
        cal.add("x-wr-caldesc", vText(description))
    cal.add("x-wr-timezone", tzid)
    # Both spellings of "poll me every so often": RFC 7986 and Outlook's.
    cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(refresh).to_ical().decode())
    ordered = sorted(events, key=lambda e: (e.start, e.uid))
    bodies = [_event_bytes(ev) for ev in ordered]
    # One VTIMEZONE per zone used (overseas communes are not on Paris time),
    # the calendar's own zone always first.
    zones = dict.fromkeys([tzid, *(_zone_key(ev.start) or tzid for ev in ordered)])
    for zone in zones:
        cal.add_component(vtimezone(zone))
    head = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    if not head.endswith(end):
        raise FeedError("unexpected calendar serialisation")  # never: the library ends every component so
    return head[: -len(end)] + b"".join(bodies) + end


@dataclass(frozen=True, slots=True)
class Party:
    """An organizer or attendee of an invitation: an e-mail address and a display name."""

    email: str
    name: str = ""

    def address(self) -> str:
        if not self.email or any(c in self.email for c in "\r\n<>\" ") or "@" not in self.email:
            raise FeedError(f"{self.email!r} is not an e-mail address")
        return f"mailto:{self.email}"


def build_invitation(event: FeedEvent, *, organizer: Party, attendee: Party, prodid: str,
                     tzid: str = DEFAULT_TZID) -> bytes:
    """An iTIP message (RFC 5546) for one visit: ``METHOD:REQUEST`` for a scheduled visit,
    ``METHOD:CANCEL`` for a cancelled one. Mail programs add or update the event by its
    UID and keep the copy with the highest SEQUENCE, so every change must raise it
    (the visit's revision does)."""
    method = "CANCEL" if event.cancelled else "REQUEST"
    vevent = _event(event)
    vevent.add("organizer", organizer.address(), parameters={"CN": organizer.name} if organizer.name else {})
    params = {"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"}
    if attendee.name:
        params["CN"] = attendee.name
    vevent.add("attendee", attendee.address(), parameters=params)
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(vtimezone(_zone_key(event.start) or tzid))
    cal.add_component(vevent)
    return cal.to_ical()


@lru_cache(maxsize=20_000)  # ~0.5 KiB each: about 10 MiB at most
def _event_bytes(ev: FeedEvent) -> bytes:
    """A VEVENT's text, memoised: serialising is the slow part of a feed, and the
    same visit appears in several feeds (all, commune, van) and publications."""
    return _event(ev).to_ical()


def clear_event_cache() -> None:
    _event_bytes.cache_clear()


def build_feed(events: Iterable[FeedEvent], *, name: str, prodid: str, tzid: str = DEFAULT_TZID,
               refresh: timedelta = DEFAULT_REFRESH, description: str = "") -> bytes:
    """A subscribable feed of many visits (see :func:`build_calendar`)."""
    return build_calendar(events, name=name, prodid=prodid, tzid=tzid, refresh=refresh, description=description)


def build_single_event(event: FeedEvent, *, prodid: str, tzid: str = DEFAULT_TZID) -> bytes:
    """An "add to my calendar" file holding one visit (same UID as in the feeds,
    so importing it and later subscribing does not duplicate the visit)."""
    return build_calendar([event], name=event.title, prodid=prodid, tzid=tzid)


def still_listed(day: date, cancelled: bool, today: date) -> bool:
    """Whether a visit belongs in a feed: cancelled visits are kept (so
    subscribers learn of the cancellation) only until their date has passed."""
    return not cancelled or day >= today
