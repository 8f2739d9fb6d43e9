"""The tour problem (problem-format versions 1 and 2): validated, immutable data.

Everything downstream — optimiser, checker, web application — works on a
:class:`Problem`, never on raw JSON, so every rule of the format is read and
checked once, here.  Times of day are whole minutes after midnight; dates are
:class:`datetime.date`.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

#: The newest version this program reads and writes; it reads every version in READ_VERSIONS.
FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)
EARTH_RADIUS_KM = 6371.0088
ALL_WEEKDAYS = frozenset(range(1, 8))
DEFAULT_WEEKDAYS = frozenset(range(1, 6))

#: Bounds that keep reading and solving within reach of a time limit: a season is at most
#: a few years, a file at most tens of megabytes (a 100 MB file takes a minute just to parse).
MAX_HORIZON_DAYS = 3 * 366
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_VISITS = 50_000
MAX_MATRIX_POINTS = 5_000
MAX_JSON_DEPTH = 64


class ProblemError(ValueError):
    """Input that breaks the format: says which file and which field.

    Parameters
    ----------
    message
        What is wrong, in words a user can act on.
    where
        The field path (``requests[2].hours.latest_end``); empty for the whole input.
    source
        The file or origin read (``problem.json``, ``version 3``), if known.
    """

    def __init__(self, message: str, where: str = "", source: str | None = None) -> None:
        self.message = message
        self.where = where
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.where) if p]
        return f"{': '.join(parts)}: {self.message}" if parts else self.message


# --------------------------------------------------------------------------- #
# Small value types
# --------------------------------------------------------------------------- #


def format_time(minutes: int) -> str:
    """Minutes after midnight as ``HH:MM``.

    Parameters
    ----------
    minutes
        Minutes after midnight, 0 to 1440.

    Returns
    -------
    str
        ``"09:05"``; 1440 is ``"24:00"``.
    """
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_TIME_RE = re.compile(r"([0-9]{2}):([0-9]{2})", re.ASCII)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def parse_time(text: str) -> int:
    """``HH:MM`` as minutes after midnight (``24:00`` allowed as end of day).

    Parameters
    ----------
    text
        The time, two digits each.

    Returns
    -------
    int
        Minutes after midnight.

    Raises
    ------
    ValueError
        For anything else than a time of day (or ``24:00``).
    """
    # ASCII digits only: str.isdigit() also takes '²' and Arabic-Indic digits.
    m_ = _TIME_RE.fullmatch(text) if isinstance(text, str) else None
    if m_ is None:
        raise ValueError(f"expected a time HH:MM, got {text!r}")
    h, m = int(m_.group(1)), int(m_.group(2))
    if m > 59 or h > 24 or (h == 24 and m):
        raise ValueError(f"{text!r} is not a time of day")
    return h * 60 + m


def parse_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date of the calendar.

    Parameters
    ----------
    text
        The date; other ISO forms (weeks, ordinal days) are refused.

    Returns
    -------
    datetime.date

    Raises
    ------
    ValueError
        For another form or a day that does not exist (``2027-02-30``).
    """
    # Only YYYY-MM-DD: date.fromisoformat also takes ISO-week dates ("2027-W10-1").
    if not isinstance(text, str) or _DATE_RE.fullmatch(text) is None:
        raise ValueError(f"expected a date YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date of the calendar") from None


@dataclass(frozen=True, slots=True)
class Point:
    """A place on the sphere, in degrees (``lat`` north, ``lon`` east)."""

    lat: float
    lon: float

    def to_json(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon}


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance on the format's sphere.

    Parameters
    ----------
    a, b
        The two points.

    Returns
    -------
    float
        Kilometres along the sphere of radius ``EARTH_RADIUS_KM`` (no circuity).
    """
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Travel:
    """How far and how long from one point to another (format § Travel)."""

    model: str = "haversine"
    circuity: float = 1.3
    speed_kmh: float = 50.0
    points: tuple[Point, ...] = ()
    km_matrix: tuple[tuple[float, ...], ...] = ()
    minutes_matrix: tuple[tuple[float, ...], ...] = ()

    @cached_property
    def _index(self) -> dict[tuple[int, int], int]:
        return {_point_key(p): i for i, p in enumerate(self.points)}

    def point_index(self, p: Point) -> int | None:
        """Row of ``p`` in the matrix (points match to 1e-6 degree)."""
        return self._index.get(_point_key(p))

    def km(self, a: Point, b: Point) -> float:
        if self.model == "matrix":
            return self.km_matrix[self._row(a)][self._row(b)]
        return haversine_km(a, b) * self.circuity

    def minutes(self, a: Point, b: Point) -> float:
        """Exact driving time; a checker accepts up to one minute less per leg."""
        if self.model == "matrix":
            return self.minutes_matrix[self._row(a)][self._row(b)]
        return self.km(a, b) / self.speed_kmh * 60.0

    def _row(self, p: Point) -> int:
        i = self.point_index(p)
        if i is None:
            raise KeyError(f"point {p.lat}, {p.lon} is not in the travel matrix")
        return i

    def to_json(self) -> dict[str, Any]:
        if self.model == "matrix":
            return {
                "model": "matrix",
                "points": [p.to_json() for p in self.points],
                "km": [list(r) for r in self.km_matrix],
                "minutes": [list(r) for r in self.minutes_matrix],
            }
        return {"model": "haversine", "circuity": self.circuity, "speed_kmh": self.speed_kmh}


def _point_key(p: Point) -> tuple[int, int]:
    return (round(p.lat * 1e6), round(p.lon * 1e6))


@dataclass(frozen=True)
class Break:
    """A pause of ``minutes`` lying wholly between ``earliest`` and ``latest``."""

    earliest: int
    latest: int
    minutes: int


@dataclass(frozen=True)
class Van:
    """One van: its depot, shift, break, driving limit, equipment and days away.

    Attributes
    ----------
    id, name
        Identifier in plans, and the name operators know it by.
    depot, depot_label
        Where its days start and end.
    shift_start, shift_end
        Minutes after midnight it may leave and must be back.
    break_
        The driver's break, or None.
    max_drive_minutes
        Most minutes of driving a day, or None for no limit.
    equipment
        What it carries (requests name what they need).
    unavailable_dates
        Days it does not go out.
    """

    id: str
    name: str
    depot: Point
    depot_label: str = ""
    shift_start: int = 8 * 60
    shift_end: int = 18 * 60
    break_: Break | None = None
    max_drive_minutes: int | None = None
    equipment: frozenset[str] = frozenset()
    unavailable_dates: frozenset[date] = frozenset()

    def carries(self, needed: frozenset[str]) -> bool:
        return needed <= self.equipment


@dataclass(frozen=True)
class Window:
    """A span of dates, both ends included (``day in window``)."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True)
class Request:
    """What a host asks for: visits of a duration at a place, when and how often.

    Attributes
    ----------
    id, label, commune
        Identifier in plans, and words for people.
    location
        Where the visits take place.
    duration
        Minutes each visit lasts on site.
    windows, weekdays
        Date spans and ISO weekdays it can receive the van (empty / None: any).
    earliest_start, latest_end
        Its hours (None: the van's shift).
    equipment
        What the van must carry.
    priority, required
        Worth of each visit served; a required one left out makes the plan infeasible.
    occurrences, min_days_between
        How many visits, and the fewest days between two of them.
    max_days_between, same_weekday, same_start_within_minutes
        Rhythm (version 2): most days between consecutive visits, one weekday for all, starts
        within so many minutes of each other.
    """

    id: str
    label: str
    location: Point
    duration: int
    commune: str = ""
    windows: tuple[Window, ...] = ()
    weekdays: frozenset[int] | None = None
    earliest_start: int | None = None
    latest_end: int | None = None
    equipment: frozenset[str] = frozenset()
    priority: int = 1
    occurrences: int = 1
    min_days_between: int = 0
    required: bool = False
    #: Rhythm (version 2): most days between consecutive visits, same weekday, starts close together.
    max_days_between: int | None = None
    same_weekday: bool = False
    same_start_within_minutes: int | None = None

    @property
    def has_rhythm(self) -> bool:
        return self.max_days_between is not None or self.same_weekday or self.same_start_within_minutes is not None

    def accepts_day(self, day: date) -> bool:
        """The host can receive the van that day (windows and weekdays)."""
        if self.weekdays is not None and day.isoweekday() not in self.weekdays:
            return False
        return not self.windows or any(day in w for w in self.windows)

    def hours_on(self, van: Van) -> tuple[int, int]:
        """Earliest start and latest end of a visit served by ``van``."""
        lo = van.shift_start if self.earliest_start is None else self.earliest_start
        hi = van.shift_end if self.latest_end is None else self.latest_end
        return lo, hi


@dataclass(frozen=True)
class Locked:
    """A visit already published: stays on ``van`` and ``day``; start moves by ≤ slack."""

    request: str
    occurrence: int
    van: str
    day: date
    start: int
    slack_minutes: int = 0


@dataclass(frozen=True)
class History:
    """An occurrence already held (or settled) before the horizon: not planned, but its date
    counts for the request's spacing and rhythm (version 2)."""

    request: str
    occurrence: int
    day: date


@dataclass(frozen=True)
class Published:
    """A visit the public has been told of (version 2): a plan may move it, at a cost."""

    request: str
    occurrence: int
    van: str
    day: date
    start: int


@dataclass(frozen=True)
class Stability:
    """What moving a published visit costs (version 2)."""

    #: priority points one moved published visit costs
    move_cost: float = 1.0
    #: a start that moves by at most this much on the same van and date is not a move
    start_slack_minutes: int = 60


@dataclass(frozen=True)
class Visit:
    """One occurrence of a request: the unit that is served or left out."""

    request: Request
    occurrence: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.request.id, self.occurrence)


@dataclass(frozen=True)
class Problem:
    """One planning problem (problem-format version 1 or 2), read and validated.

    Build it with :func:`problem_from_json` or :func:`load_problem`; it is immutable.

    Attributes
    ----------
    name
        The problem's name; a plan names the problem it solves.
    horizon_start, horizon_end, weekdays, closed_dates
        The service days: dates of the horizon on those weekdays, closed dates excepted.
    vans, requests
        What goes out and what is asked for.
    travel
        Distances and driving times (:class:`Travel`).
    locked
        Visits that stay on a van, date and start.
    version
        1 or 2; version 2 adds ``history``, ``published`` and ``stability`` (a re-plan).
    """

    name: str
    horizon_start: date
    horizon_end: date
    vans: tuple[Van, ...]
    requests: tuple[Request, ...]
    timezone: str = "Europe/Paris"
    weekdays: frozenset[int] = DEFAULT_WEEKDAYS
    closed_dates: frozenset[date] = frozenset()
    travel: Travel = field(default_factory=Travel)
    locked: tuple[Locked, ...] = ()
    version: int = FORMAT_VERSION
    history: tuple[History, ...] = ()
    published: tuple[Published, ...] = ()
    stability: Stability = field(default_factory=Stability)

    # -- look-ups -------------------------------------------------------- #
    @cached_property
    def van_by_id(self) -> dict[str, Van]:
        return {v.id: v for v in self.vans}

    @cached_property
    def request_by_id(self) -> dict[str, Request]:
        return {r.id: r for r in self.requests}

    @cached_property
    def locked_by_visit(self) -> dict[tuple[str, int], Locked]:
        return {(lk.request, lk.occurrence): lk for lk in self.locked}

    @cached_property
    def history_keys(self) -> frozenset[tuple[str, int]]:
        return frozenset((h.request, h.occurrence) for h in self.history)

    @cached_property
    def history_dates(self) -> dict[str, tuple[date, ...]]:
        """Per request id, the dates of its occurrences already held, in order."""
        out: dict[str, list[date]] = {}
        for h in self.history:
            out.setdefault(h.request, []).append(h.day)
        return {k: tuple(sorted(v)) for k, v in out.items()}

    @cached_property
    def published_by_visit(self) -> dict[tuple[str, int], Published]:
        """Published visits that a plan may move (an occurrence also locked is locked, not here)."""
        locked = self.locked_by_visit
        return {(p.request, p.occurrence): p for p in self.published if (p.request, p.occurrence) not in locked}

    @cached_property
    def visits(self) -> tuple[Visit, ...]:
        """The occurrences to plan: every occurrence of every request, less those in history."""
        held = self.history_keys
        return tuple(
            Visit(r, k) for r in self.requests for k in range(r.occurrences) if (r.id, k) not in held
        )

    @property
    def total_priority(self) -> int:
        return sum(v.request.priority for v in self.visits)

    # -- calendar -------------------------------------------------------- #
    def days(self) -> Iterator[date]:
        d = self.horizon_start
        while d <= self.horizon_end:
            yield d
            d += timedelta(days=1)

    def is_service_day(self, day: date) -> bool:
        return (
            self.horizon_start <= day <= self.horizon_end
            and day.isoweekday() in self.weekdays
            and day not in self.closed_dates
        )

    def van_works(self, van: Van, day: date) -> bool:
        return self.is_service_day(day) and day not in van.unavailable_dates

    @cached_property
    def van_days(self) -> tuple[tuple[Van, date], ...]:
        """Every (van, day) that may go out, by date then van order."""
        return tuple((v, d) for d in self.days() for v in self.vans if self.van_works(v, d))

    # -- serialisation --------------------------------------------------- #
    def to_json(self) -> dict[str, Any]:
        return problem_to_json(self)


# --------------------------------------------------------------------------- #
# Reading
# --------------------------------------------------------------------------- #


class JsonReader:
    """Walks raw JSON, turning every defect into a ProblemError with its path."""

    def __init__(self, source: str | None) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> ProblemError:
        return ProblemError(message, where, self.source)

    @classmethod
    def top(cls, data: Any, source: str | None) -> tuple[JsonReader, Mapping[str, Any]]:
        """A reader of one input and that input's top-level object (ProblemError when not an object)."""
        rd = cls(source)
        return rd, rd.obj(data, "")

    def version(self, top: Mapping[str, Any]) -> int:
        """The file's format version, one this program reads."""
        version = self.int(self.req(top, "version", ""), "version")
        if version not in READ_VERSIONS:
            raise self.fail("version", f"this program reads versions {', '.join(map(str, READ_VERSIONS))}, "
                                       f"got {version}")
        return version

    def obj(self, value: Any, where: str, known: Sequence[str] | None = None) -> Mapping[str, Any]:
        """An object; with ``known``, a field not in it is refused (a typo must not make a rule vanish)."""
        if not isinstance(value, Mapping):
            raise self.fail(where, f"expected an object, got {_kind(value)}")
        if known is not None:
            for key in value:
                if key not in known:
                    close = difflib.get_close_matches(str(key), known, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else f"; known fields: {', '.join(known)}"
                    raise self.fail(_join(where, str(key)), f"unknown field{hint}")
        return value

    def list(self, value: Any, where: str) -> Sequence[Any]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_kind(value)}")
        return value

    def req(self, data: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in data or data[key] is None:
            raise self.fail(_join(where, key), "is required")
        return data[key]

    def str(self, value: Any, where: str, *, empty: bool = False) -> str:
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise self.fail(where, f"expected a non-empty text, got {_kind(value)}")
        return value

    def int(self, value: Any, where: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (isinstance(value, float) and (not math.isfinite(value) or value != int(value)))
        ):
            raise self.fail(where, f"expected a whole number, got {_kind(value)}")
        n = int(value)
        if minimum is not None and n < minimum:
            raise self.fail(where, f"must be at least {minimum}, got {n}")
        if maximum is not None and n > maximum:
            raise self.fail(where, f"must be at most {maximum}, got {n}")
        return n

    def num(self, value: Any, where: str, *, positive: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(where, f"expected a number, got {_kind(value)}")
        if positive and value <= 0:
            raise self.fail(where, f"must be positive, got {value}")
        return float(value)

    def bool(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {_kind(value)}")
        return value

    def time(self, value: Any, where: str) -> int:
        try:
            return parse_time(value)
        except ValueError as e:
            raise self.fail(where, str(e)) from None

    def date(self, value: Any, where: str) -> date:
        try:
            return parse_date(value)
        except ValueError as e:
            raise self.fail(where, str(e)) from None

    def dates(self, value: Any, where: str) -> frozenset[date]:
        return frozenset(self.date(v, f"{where}[{i}]") for i, v in enumerate(self.list(value, where)))

    def weekdays(self, value: Any, where: str) -> frozenset[int]:
        days = self.list(value, where)
        out = set()
        for i, v in enumerate(days):
            n = self.int(v, f"{where}[{i}]")
            if n not in ALL_WEEKDAYS:
                raise self.fail(f"{where}[{i}]", f"a weekday is 1 (Monday) to 7 (Sunday), got {n}")
            out.add(n)
        if not out:
            raise self.fail(where, "needs at least one weekday")
        return frozenset(out)

    def strings(self, value: Any, where: str) -> frozenset[str]:
        return frozenset(self.str(v, f"{where}[{i}]") for i, v in enumerate(self.list(value, where)))

    def point(self, value: Any, where: str) -> Point:
        data = self.obj(value, where)
        lat = self.num(self.req(data, "lat", where), f"{where}.lat")
        lon = self.num(self.req(data, "lon", where), f"{where}.lon")
        if not -90 <= lat <= 90:
            raise self.fail(f"{where}.lat", f"a latitude lies between -90 and 90, got {lat}")
        if not -180 <= lon <= 180:
            raise self.fail(f"{where}.lon", f"a longitude lies between -180 and 180, got {lon}")
        return Point(lat, lon)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


TOP_FIELDS = ("version", "name", "timezone", "horizon", "travel", "vans", "requests", "locked")
TOP_FIELDS_V2 = (*TOP_FIELDS, "history", "published", "stability")
HORIZON_FIELDS = ("start", "end", "weekdays", "closed_dates")
VAN_FIELDS = ("id", "name", "depot", "shift", "break", "max_drive_minutes", "equipment", "unavailable_dates")
REQUEST_FIELDS = (
    "id", "label", "commune", "location", "duration_minutes", "windows", "weekdays", "hours", "equipment",
    "priority", "occurrences", "min_days_between", "required",
)
RHYTHM_FIELDS = ("max_days_between", "same_weekday", "same_start_within_minutes")
LOCKED_FIELDS = ("request", "occurrence", "van", "date", "start", "slack_minutes")


def problem_from_json(data: Any, source: str | None = None) -> Problem:
    """Validate raw JSON (already parsed) into a Problem.

    Parameters
    ----------
    data
        The parsed JSON of a problem file, version 1 or 2.
    source
        Where it came from (a file name), named in every error message.

    Raises
    ------
    ProblemError
        On the first defect, naming the field path (``requests[3].windows[0].end``).
    """
    rd, top = JsonReader.top(data, source)
    version = _read_version(rd, top)
    name = rd.str(top.get("name", "tour"), "name")
    timezone = _read_timezone(rd, top)
    h_start, h_end, weekdays, closed = _read_horizon(rd, top)
    travel = _read_travel(rd, top.get("travel"))
    vans = tuple(_read_van(rd, v, f"vans[{i}]") for i, v in enumerate(rd.list(rd.req(top, "vans", ""), "vans")))
    if not vans:
        raise rd.fail("vans", "needs at least one van")
    _no_duplicates(rd, [v.id for v in vans], "vans")
    requests = _read_requests(rd, top, version >= 2)
    refs = _Refs(rd, {v.id for v in vans}, {r.id: r for r in requests})
    locked = _read_locked(rd, top, refs, h_start, h_end)
    history = _read_history(rd, top, refs, h_start, {(lk.request, lk.occurrence) for lk in locked})
    published = _read_published(rd, top, refs, {(h.request, h.occurrence) for h in history})
    if travel.model == "matrix":
        _all_points_in_matrix(rd, travel, vans, requests)
    return Problem(
        name=name,
        timezone=timezone,
        horizon_start=h_start,
        horizon_end=h_end,
        weekdays=weekdays,
        closed_dates=closed,
        travel=travel,
        vans=vans,
        requests=requests,
        locked=locked,
        version=version,
        history=history,
        published=published,
        stability=_read_stability(rd, top),
    )


def _read_version(rd: JsonReader, top: Mapping[str, Any]) -> int:
    version = rd.version(top)
    if version < 2:
        for key in top:
            if key in TOP_FIELDS_V2 and key not in TOP_FIELDS:
                raise rd.fail(key, "is a field of version 2: set \"version\": 2")
    rd.obj(top, "", TOP_FIELDS_V2)
    return version


def _read_timezone(rd: JsonReader, top: Mapping[str, Any]) -> str:
    timezone = rd.str(top.get("timezone", "Europe/Paris"), "timezone")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise rd.fail("timezone", f"{timezone!r} is not a time zone of the tz database (e.g. 'Europe/Paris')") from None
    return timezone


def _read_horizon(rd: JsonReader, top: Mapping[str, Any]) -> tuple[date, date, frozenset[int], frozenset[date]]:
    hz = rd.obj(rd.req(top, "horizon", ""), "horizon", HORIZON_FIELDS)
    h_start = rd.date(rd.req(hz, "start", "horizon"), "horizon.start")
    h_end = rd.date(rd.req(hz, "end", "horizon"), "horizon.end")
    if h_end < h_start:
        raise rd.fail("horizon.end", f"ends ({h_end}) before it starts ({h_start})")
    if (h_end - h_start).days + 1 > MAX_HORIZON_DAYS:
        raise rd.fail("horizon.end", f"the horizon spans {(h_end - h_start).days + 1} days; at most "
                                     f"{MAX_HORIZON_DAYS} (about three years) can be planned at once")
    weekdays = rd.weekdays(hz["weekdays"], "horizon.weekdays") if "weekdays" in hz else DEFAULT_WEEKDAYS
    return h_start, h_end, weekdays, rd.dates(hz.get("closed_dates", []), "horizon.closed_dates")


def _read_requests(rd: JsonReader, top: Mapping[str, Any], v2: bool) -> tuple[Request, ...]:
    raw = rd.list(top.get("requests", []), "requests")
    requests = tuple(_read_request(rd, r, f"requests[{i}]", v2) for i, r in enumerate(raw))
    _no_duplicates(rd, [r.id for r in requests], "requests")
    total = sum(r.occurrences for r in requests)
    if total > MAX_VISITS:
        raise rd.fail("requests", f"asks for {total} visits; at most {MAX_VISITS} can be planned at once")
    return requests


@dataclass(frozen=True)
class _Refs:
    """Reads the request, occurrence and van an entry of locked, history or published names."""

    rd: JsonReader
    van_ids: set[str]
    requests: dict[str, Request]

    def visit(self, raw: Mapping[str, Any], where: str) -> tuple[str, int]:
        rd = self.rd
        rid = rd.str(rd.req(raw, "request", where), f"{where}.request")
        occ = rd.int(raw.get("occurrence", 0), f"{where}.occurrence", minimum=0)
        if rid not in self.requests:
            raise rd.fail(f"{where}.request", f"no request has the id {rid!r}")
        if occ >= self.requests[rid].occurrences:
            raise rd.fail(
                f"{where}.occurrence",
                f"request {rid!r} has {self.requests[rid].occurrences} occurrence(s), numbered from 0; got {occ}",
            )
        return rid, occ

    def van(self, raw: Mapping[str, Any], where: str) -> str:
        vid = self.rd.str(self.rd.req(raw, "van", where), f"{where}.van")
        if vid not in self.van_ids:
            raise self.rd.fail(f"{where}.van", f"no van has the id {vid!r}")
        return vid


def _read_locked(rd: JsonReader, top: Mapping[str, Any], refs: _Refs, h_start: date,
                 h_end: date) -> tuple[Locked, ...]:
    locked = []
    seen: set[tuple[str, int]] = set()
    for i, raw in enumerate(rd.list(top.get("locked", []), "locked")):
        where = f"locked[{i}]"
        data = rd.obj(raw, where, LOCKED_FIELDS)
        rid, occ = refs.visit(data, where)
        vid = refs.van(data, where)
        day = rd.date(rd.req(data, "date", where), f"{where}.date")
        if not h_start <= day <= h_end:
            raise rd.fail(f"{where}.date", f"{day} lies outside the horizon ({h_start} to {h_end})")
        if (rid, occ) in seen:
            raise rd.fail(where, f"visit {rid!r} #{occ} is locked twice")
        seen.add((rid, occ))
        locked.append(Locked(
            request=rid, occurrence=occ, van=vid, day=day,
            start=rd.time(rd.req(data, "start", where), f"{where}.start"),
            slack_minutes=rd.int(data.get("slack_minutes", 0), f"{where}.slack_minutes", minimum=0, maximum=1440),
        ))
    return tuple(locked)


def _read_history(rd: JsonReader, top: Mapping[str, Any], refs: _Refs, h_start: date,
                  locked: set[tuple[str, int]]) -> tuple[History, ...]:
    history = []
    held: set[tuple[str, int]] = set()
    for i, raw in enumerate(rd.list(top.get("history", []), "history")):
        where = f"history[{i}]"
        data = rd.obj(raw, where, ("request", "occurrence", "date"))
        rid, occ = refs.visit(data, where)
        day = rd.date(rd.req(data, "date", where), f"{where}.date")
        if day >= h_start:
            raise rd.fail(f"{where}.date", f"history is what took place before the horizon; {day} is not before "
                                           f"{h_start}")
        if (rid, occ) in held:
            raise rd.fail(where, f"visit {rid!r} #{occ} is in history twice")
        if (rid, occ) in locked:
            raise rd.fail(where, f"visit {rid!r} #{occ} is both in history and locked")
        held.add((rid, occ))
        history.append(History(rid, occ, day))
    return tuple(history)


def _read_published(rd: JsonReader, top: Mapping[str, Any], refs: _Refs,
                    held: set[tuple[str, int]]) -> tuple[Published, ...]:
    published = []
    told: set[tuple[str, int]] = set()
    for i, raw in enumerate(rd.list(top.get("published", []), "published")):
        where = f"published[{i}]"
        data = rd.obj(raw, where, ("request", "occurrence", "van", "date", "start"))
        rid, occ = refs.visit(data, where)
        vid = refs.van(data, where)
        day = rd.date(rd.req(data, "date", where), f"{where}.date")
        if (rid, occ) in held:
            raise rd.fail(where, f"visit {rid!r} #{occ} is both in history and published")
        if (rid, occ) in told:
            raise rd.fail(where, f"visit {rid!r} #{occ} is published twice")
        told.add((rid, occ))
        published.append(Published(rid, occ, vid, day, rd.time(rd.req(data, "start", where), f"{where}.start")))
    return tuple(published)


def _read_stability(rd: JsonReader, top: Mapping[str, Any]) -> Stability:
    if top.get("stability") is None:
        return Stability()
    st = rd.obj(top["stability"], "stability", ("move_cost", "start_slack_minutes"))
    move_cost = rd.num(st.get("move_cost", 1), "stability.move_cost")
    if move_cost < 0:
        raise rd.fail("stability.move_cost", f"must not be negative, got {move_cost}")
    return Stability(
        move_cost=move_cost,
        start_slack_minutes=rd.int(st.get("start_slack_minutes", 60), "stability.start_slack_minutes",
                                   minimum=0, maximum=1440),
    )


def _all_points_in_matrix(rd: JsonReader, travel: Travel, vans: tuple[Van, ...],
                          requests: tuple[Request, ...]) -> None:
    pts = [(f"vans[{i}].depot", v.depot) for i, v in enumerate(vans)]
    pts += [(f"requests[{i}].location", r.location) for i, r in enumerate(requests)]
    for where, p in pts:
        if travel.point_index(p) is None:
            raise rd.fail(where, "this point is missing from travel.points (matched to 1e-6 degree)")


def _no_duplicates(rd: JsonReader, ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise rd.fail(f"{where}[{i}].id", f"the id {x!r} is used twice")
        seen.add(x)


def _read_travel(rd: JsonReader, raw: Any) -> Travel:
    if raw is None:
        return Travel()
    data = rd.obj(raw, "travel")
    model = data.get("model", "haversine")
    if model == "haversine":
        rd.obj(data, "travel", ("model", "circuity", "speed_kmh"))
        return Travel(
            model="haversine",
            circuity=rd.num(data.get("circuity", 1.3), "travel.circuity", positive=True),
            speed_kmh=rd.num(data.get("speed_kmh", 50), "travel.speed_kmh", positive=True),
        )
    if model != "matrix":
        raise rd.fail("travel.model", f"expected 'haversine' or 'matrix', got {_kind(model)}")
    rd.obj(data, "travel", ("model", "points", "km", "minutes"))
    raw_points = rd.list(rd.req(data, "points", "travel"), "travel.points")
    if len(raw_points) > MAX_MATRIX_POINTS:
        raise rd.fail("travel.points", f"has {len(raw_points)} points; at most {MAX_MATRIX_POINTS}")
    points = tuple(rd.point(p, f"travel.points[{i}]") for i, p in enumerate(raw_points))
    return Travel(model="matrix", points=points, km_matrix=_read_matrix(rd, data, "km", len(points)),
                  minutes_matrix=_read_matrix(rd, data, "minutes", len(points)))


def _read_matrix(rd: JsonReader, data: Mapping[str, Any], key: str, n: int) -> tuple[tuple[float, ...], ...]:
    rows = rd.list(rd.req(data, key, "travel"), f"travel.{key}")
    if len(rows) != n:
        raise rd.fail(f"travel.{key}", f"needs {n} rows (one per point), got {len(rows)}")
    out = []
    for i, row in enumerate(rows):
        cells = rd.list(row, f"travel.{key}[{i}]")
        if len(cells) != n:
            raise rd.fail(f"travel.{key}[{i}]", f"needs {n} numbers (one per point), got {len(cells)}")
        vals = []
        for j, c in enumerate(cells):
            x = rd.num(c, f"travel.{key}[{i}][{j}]")
            if x < 0:
                raise rd.fail(f"travel.{key}[{i}][{j}]", f"must not be negative, got {x}")
            vals.append(x)
        out.append(tuple(vals))
    return tuple(out)


def _read_van(rd: JsonReader, raw: Any, where: str) -> Van:
    data = rd.obj(raw, where, VAN_FIELDS)
    vid = rd.str(rd.req(data, "id", where), f"{where}.id")
    depot_raw = rd.obj(rd.req(data, "depot", where), f"{where}.depot", ("lat", "lon", "label"))
    depot = rd.point(depot_raw, f"{where}.depot")
    label = depot_raw.get("label", "")
    label = rd.str(label, f"{where}.depot.label", empty=True)
    shift_start, shift_end = 8 * 60, 18 * 60
    if "shift" in data:
        sh = rd.obj(data["shift"], f"{where}.shift", ("start", "end"))
        shift_start = rd.time(rd.req(sh, "start", f"{where}.shift"), f"{where}.shift.start")
        shift_end = rd.time(rd.req(sh, "end", f"{where}.shift"), f"{where}.shift.end")
        if shift_end <= shift_start:
            raise rd.fail(f"{where}.shift.end", "the shift ends before it starts")
    brk = None
    if data.get("break") is not None:
        b = rd.obj(data["break"], f"{where}.break", ("earliest", "latest", "minutes"))
        bw = f"{where}.break"
        earliest = rd.time(rd.req(b, "earliest", bw), f"{bw}.earliest")
        latest = rd.time(rd.req(b, "latest", bw), f"{bw}.latest")
        minutes = rd.int(rd.req(b, "minutes", bw), f"{bw}.minutes", minimum=0, maximum=1440)
        if latest - earliest < minutes:
            raise rd.fail(bw, f"a {minutes}-minute break cannot fit between {format_time(earliest)} "
                              f"and {format_time(latest)}")
        if minutes:
            brk = Break(earliest, latest, minutes)
    max_drive = None
    if data.get("max_drive_minutes") is not None:
        max_drive = rd.int(data["max_drive_minutes"], f"{where}.max_drive_minutes", minimum=0, maximum=1440)
    return Van(
        id=vid,
        name=rd.str(data.get("name", vid), f"{where}.name"),
        depot=depot,
        depot_label=label,
        shift_start=shift_start,
        shift_end=shift_end,
        break_=brk,
        max_drive_minutes=max_drive,
        equipment=rd.strings(data.get("equipment", []), f"{where}.equipment"),
        unavailable_dates=rd.dates(data.get("unavailable_dates", []), f"{where}.unavailable_dates"),
    )


def _read_request(rd: JsonReader, raw: Any, where: str, v2: bool) -> Request:
    data = rd.obj(raw, where)
    if not v2:
        for key in RHYTHM_FIELDS:
            if key in data:
                raise rd.fail(f"{where}.{key}", "is a field of version 2: set \"version\": 2")
    rd.obj(data, where, (*REQUEST_FIELDS, *RHYTHM_FIELDS))
    rid = rd.str(rd.req(data, "id", where), f"{where}.id")
    earliest, latest = _read_hours(rd, data, where)
    min_gap = rd.int(data.get("min_days_between", 0), f"{where}.min_days_between", minimum=0,
                     maximum=MAX_HORIZON_DAYS)
    return Request(
        id=rid,
        label=rd.str(data.get("label", rid), f"{where}.label"),
        commune=rd.str(data.get("commune", ""), f"{where}.commune", empty=True),
        location=rd.point(rd.obj(rd.req(data, "location", where), f"{where}.location", ("lat", "lon")),
                          f"{where}.location"),
        # A visit of no length is a typo, not a visit.
        duration=rd.int(rd.req(data, "duration_minutes", where), f"{where}.duration_minutes", minimum=1,
                        maximum=1440),
        windows=_read_windows(rd, data, where),
        weekdays=rd.weekdays(data["weekdays"], f"{where}.weekdays") if data.get("weekdays") is not None else None,
        earliest_start=earliest,
        latest_end=latest,
        equipment=rd.strings(data.get("equipment", []), f"{where}.equipment"),
        priority=rd.int(data.get("priority", 1), f"{where}.priority", minimum=1, maximum=1_000_000),
        occurrences=rd.int(data.get("occurrences", 1), f"{where}.occurrences", minimum=1, maximum=MAX_VISITS),
        min_days_between=min_gap,
        required=rd.bool(data.get("required", False), f"{where}.required"),
        **_read_rhythm(rd, data, where, min_gap),
    )


def _read_windows(rd: JsonReader, data: Mapping[str, Any], where: str) -> tuple[Window, ...]:
    windows = []
    for i, w in enumerate(rd.list(data.get("windows", []), f"{where}.windows")):
        ww = f"{where}.windows[{i}]"
        wd = rd.obj(w, ww, ("start", "end"))
        start = rd.date(rd.req(wd, "start", ww), f"{ww}.start")
        end = rd.date(rd.req(wd, "end", ww), f"{ww}.end")
        if end < start:
            raise rd.fail(f"{ww}.end", f"the window ends ({end}) before it starts ({start})")
        windows.append(Window(start, end))
    return tuple(windows)


def _read_hours(rd: JsonReader, data: Mapping[str, Any], where: str) -> tuple[int | None, int | None]:
    earliest = latest = None
    if data.get("hours") is not None:
        hw = f"{where}.hours"
        h = rd.obj(data["hours"], hw, ("earliest_start", "latest_end"))
        if h.get("earliest_start") is not None:
            earliest = rd.time(h["earliest_start"], f"{hw}.earliest_start")
        if h.get("latest_end") is not None:
            latest = rd.time(h["latest_end"], f"{hw}.latest_end")
        if earliest is not None and latest is not None and latest < earliest:
            raise rd.fail(f"{hw}.latest_end", "the hours end before they start")
    return earliest, latest


def _read_rhythm(rd: JsonReader, data: Mapping[str, Any], where: str, min_gap: int) -> dict[str, Any]:
    max_gap = None
    if data.get("max_days_between") is not None:
        max_gap = rd.int(data["max_days_between"], f"{where}.max_days_between", minimum=1,
                         maximum=MAX_HORIZON_DAYS)
        if max_gap < min_gap:
            raise rd.fail(f"{where}.max_days_between", f"is {max_gap}, less than min_days_between ({min_gap})")
    same_start = None
    if data.get("same_start_within_minutes") is not None:
        same_start = rd.int(data["same_start_within_minutes"], f"{where}.same_start_within_minutes", minimum=0,
                            maximum=1440)
    return {
        "max_days_between": max_gap,
        "same_weekday": rd.bool(data.get("same_weekday", False), f"{where}.same_weekday"),
        "same_start_within_minutes": same_start,
    }


def _json_depth_ok(text: str, limit: int) -> bool:
    """True when no array or object nests deeper than ``limit`` (strings are skipped).

    Checked before parsing: the json module recurses once per level and a file nested
    100,000 deep would end in a RecursionError instead of a message."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON: numbers must be finite")


def read_json_file(path: str | Path) -> Any:
    """Parse a JSON file the way every input of tourplan is parsed (:func:`parse_json_text`).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    Any
        The file's JSON value.

    Raises
    ------
    ProblemError
        For a file that cannot be read or malformed JSON, naming the line.
    """
    source = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProblemError(f"is {size / 1e6:.0f} MB; files over {MAX_FILE_BYTES // 2**20} MiB are beyond what "
                               "can be read and planned within a time limit", source=source)
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProblemError("no such file", source=source) from None
    except IsADirectoryError:
        raise ProblemError("is a folder, not a file", source=source) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ProblemError(f"cannot be read ({e.__class__.__name__}: {e})", source=source) from None
    return parse_json_text(text, source)


def parse_json_text(text: str, source: str | None = None) -> Any:
    """Parse JSON text the way every input of tourplan is parsed.

    Parameters
    ----------
    text
        The JSON text.
    source
        Its origin, for messages.

    Returns
    -------
    Any
        The text's JSON value.

    Raises
    ------
    ProblemError
        For malformed JSON (line and column), NaN or Infinity, nesting deeper than
        ``MAX_JSON_DEPTH``, integers too long to convert.
    """
    if not _json_depth_ok(text, MAX_JSON_DEPTH):
        raise ProblemError(f"nests arrays or objects more than {MAX_JSON_DEPTH} deep", source=source)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise ProblemError(f"malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}", source=source) from None
    except (ValueError, RecursionError) as e:
        # e.g. an integer of thousands of digits (Python's int conversion limit)
        raise ProblemError(f"malformed JSON: {str(e).splitlines()[0][:200]}", source=source) from None


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem file.

    Parameters
    ----------
    path
        The problem's JSON file.

    Returns
    -------
    Problem

    Raises
    ------
    ProblemError
        On the first defect, naming the file and the field.
    """
    return problem_from_json(read_json_file(path), source=str(path))


# --------------------------------------------------------------------------- #
# Writing
# --------------------------------------------------------------------------- #


def hours_json(earliest_start: int | None, latest_end: int | None) -> dict[str, str]:
    """A request's ``hours`` object; empty when neither bound is set (the van's shift applies)."""
    hours = {}
    if earliest_start is not None:
        hours["earliest_start"] = format_time(earliest_start)
    if latest_end is not None:
        hours["latest_end"] = format_time(latest_end)
    return hours


def problem_to_json(p: Problem) -> dict[str, Any]:
    """The problem as JSON of its own version; :func:`problem_from_json` reads it back equal.

    Parameters
    ----------
    p
        The problem.

    Returns
    -------
    dict
        Its JSON object.
    """
    out: dict[str, Any] = {
        "version": p.version,
        "name": p.name,
        "timezone": p.timezone,
        "horizon": {
            "start": p.horizon_start.isoformat(),
            "end": p.horizon_end.isoformat(),
            "weekdays": sorted(p.weekdays),
            "closed_dates": sorted(d.isoformat() for d in p.closed_dates),
        },
        "travel": p.travel.to_json(),
        "vans": [_van_json(v) for v in p.vans],
        "requests": [_request_json(r) for r in p.requests],
        "locked": [
            {"request": lk.request, "occurrence": lk.occurrence, "van": lk.van, "date": lk.day.isoformat(),
             "start": format_time(lk.start), "slack_minutes": lk.slack_minutes}
            for lk in p.locked
        ],
    }
    if p.version >= 2:
        out["history"] = [
            {"request": h.request, "occurrence": h.occurrence, "date": h.day.isoformat()} for h in p.history
        ]
        out["published"] = [
            {"request": x.request, "occurrence": x.occurrence, "van": x.van, "date": x.day.isoformat(),
             "start": format_time(x.start)}
            for x in p.published
        ]
        out["stability"] = {"move_cost": p.stability.move_cost,
                            "start_slack_minutes": p.stability.start_slack_minutes}
    return out


def _van_json(v: Van) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": v.id,
        "name": v.name,
        "depot": {**v.depot.to_json(), "label": v.depot_label},
        "shift": {"start": format_time(v.shift_start), "end": format_time(v.shift_end)},
        "equipment": sorted(v.equipment),
        "unavailable_dates": sorted(d.isoformat() for d in v.unavailable_dates),
    }
    if v.break_:
        d["break"] = {
            "earliest": format_time(v.break_.earliest),
            "latest": format_time(v.break_.latest),
            "minutes": v.break_.minutes,
        }
    if v.max_drive_minutes is not None:
        d["max_drive_minutes"] = v.max_drive_minutes
    return d


def _request_json(r: Request) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": r.id,
        "label": r.label,
        "commune": r.commune,
        "location": r.location.to_json(),
        "duration_minutes": r.duration,
        "equipment": sorted(r.equipment),
        "priority": r.priority,
        "occurrences": r.occurrences,
        "min_days_between": r.min_days_between,
        "required": r.required,
    }
    if r.windows:
        d["windows"] = [{"start": w.start.isoformat(), "end": w.end.isoformat()} for w in r.windows]
    if r.weekdays is not None:
        d["weekdays"] = sorted(r.weekdays)
    if hours := hours_json(r.earliest_start, r.latest_end):
        d["hours"] = hours
    rhythm = {"max_days_between": r.max_days_between, "same_weekday": r.same_weekday or None,
              "same_start_within_minutes": r.same_start_within_minutes}
    d.update({k: v for k, v in rhythm.items() if v is not None})
    return d
