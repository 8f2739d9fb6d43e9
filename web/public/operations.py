"""Queries of the published tour for the public site, and its cache.

Everything the public pages and feeds show comes from one *snapshot*: every
published visit with the names it needs (commune, van, activity), loaded with
one query and kept in memory until the tour changes.  Whether it changed is
asked of the database on every request with one cheap query (published
versions, latest visit update, visit count) plus today's date, since "past"
and "still listed" depend on the day.  Rendered pages and feeds are cached
under the same key, so between two publications a page costs a lookup.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
import time as _time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import func, select

from tourplan.calendar import SERVICE_TIMEZONE, local_today
from tourplan.communes import at_commune, townhall_name
from tourplan.ical import FeedEvent, build_feed, build_single_event, local_span, still_listed, visit_uid
from tourplan.maps import MapPoint, MapRoute
from tourplan.problem import Point, format_time, haversine_km
from web.activities.models import Activity
from web.communes.models import Commune
from web.communes.search import fold
from web.extensions import db
from web.requests.models import VisitRequest
from web.requests.rhythm import has_rhythm, is_cycle
from web.seasons.models import Season
from web.tours.models import TourVersion, Visit
from web.vans.models import Van

SITE_TZ = SERVICE_TIMEZONE
#: Rendered pages/feeds kept per tour state, by count and by size: keys are made of
#: validated parameters only, but even those combine into many pages.
RENDER_CACHE_SIZE = 512
RENDER_CACHE_BYTES = 64 * 1024 * 1024
#: A cached body at least this large (the whole-tour feed: 1 MB for 2,000 visits) is also
#: written once to a file of the instance folder, shared by the workers, and answered from
#: it: gunicorn then hands the file to the kernel (sendfile) instead of copying the bytes
#: through Python, a quarter of the cost of sending 1 MB (``bench.serving``). Smaller
#: bodies cost more to open than to copy.
FILE_BODY_BYTES = 64 * 1024
#: Where those files go, one folder per tour state, under the instance folder.
BODY_FILES_FOLDER = "public-cache"
BODY_FILES_STALE_SECONDS = 60
#: How many nearby communes a commune page without a visit points to.
NEARBY_COMMUNES = 5


@dataclass(frozen=True, slots=True)
class PublicVisit:
    """A published visit as residents see it (no contact details, no notes)."""

    id: int
    date: date
    start: int
    end: int
    timezone: str
    cancelled: bool
    cancelled_at: datetime | None
    revision: int
    updated_at: datetime
    place_label: str
    place_address: str
    lat: float
    lon: float
    commune_insee: str
    commune_name: str
    postal_code: str
    van_slug: str
    van_name: str
    activity_slug: str
    activity_name: str
    activity_description: str
    what_to_bring: str
    audience: str
    label: str
    #: Known accessibility of the place (the town hall's, when the van parks there).
    accessibility: str
    season_name: str
    request_id: int = 0
    #: Place in its request's series of scheduled sessions (1-based) and the series' size;
    #: (0, 0) for a single visit or a cancelled session. ``cycle``: a training cycle.
    series_index: int = 0
    series_size: int = 0
    cycle: bool = False
    #: INSEE name type of the commune (see tourplan.communes): "à Mende", "aux Laubies".
    commune_name_type: int = 0

    @property
    def commune_at(self) -> str:
        """"aux Laubies", "au Malzieu-Ville": the French "à" before the commune's name."""
        return at_commune(self.commune_name, self.commune_name_type)

    @property
    def in_series(self) -> bool:
        return self.series_size > 1

    @property
    def hours(self) -> str:
        return f"{format_time(self.start)}–{format_time(self.end)}"

    @property
    def title(self) -> str:
        """What the visit is, in French (feeds are French)."""
        return f"{self.activity_name} – {self.commune_name}"

    @property
    def location(self) -> str:
        parts = [self.place_label, self.place_address]
        if self.commune_name.casefold() not in " ".join(parts).casefold():
            parts.append(" ".join(p for p in (self.postal_code, self.commune_name) if p))
        return ", ".join(p.strip() for p in parts if p and p.strip())

    def local_span(self) -> tuple[datetime, datetime]:
        return local_span(self.date, self.start, self.end, self.timezone)


@dataclass(frozen=True)
class TourState:
    """What the cache key is made of; ``last_modified`` is for HTTP."""

    key: str
    today: date
    last_modified: datetime


@dataclass
class Snapshot:
    state: TourState
    visits: tuple[PublicVisit, ...]
    by_id: dict[int, PublicVisit] = field(default_factory=dict)
    by_commune: dict[str, list[PublicVisit]] = field(default_factory=dict)
    by_van: dict[str, list[PublicVisit]] = field(default_factory=dict)
    by_request: dict[int, list[PublicVisit]] = field(default_factory=dict)
    communes: list[tuple[str, str]] = field(default_factory=list)
    vans: list[tuple[str, str]] = field(default_factory=list)
    activities: list[tuple[str, str]] = field(default_factory=list)
    depots: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        communes: dict[str, str] = {}
        vans: dict[str, str] = {}
        activities: dict[str, str] = {}
        for v in self.visits:
            self.by_id[v.id] = v
            self.by_commune.setdefault(v.commune_insee, []).append(v)
            self.by_van.setdefault(v.van_slug, []).append(v)
            self.by_request.setdefault(v.request_id, []).append(v)
            communes[v.commune_insee] = v.commune_name
            vans[v.van_slug] = v.van_name
            if v.activity_slug:
                activities[v.activity_slug] = v.activity_name
        self.communes = sorted(communes.items(), key=lambda kv: (fold(kv[1]), kv[0]))
        self.vans = sorted(vans.items(), key=lambda kv: (fold(kv[1]), kv[0]))
        self.activities = sorted(activities.items(), key=lambda kv: (fold(kv[1]), kv[0]))

    def upcoming(self, visits: Iterable[PublicVisit] | None = None) -> list[PublicVisit]:
        today = self.state.today
        return [v for v in (self.visits if visits is None else visits) if v.date >= today]

    def nearest_upcoming(self, lat: float, lon: float, *, exclude: str = "",
                         limit: int = NEARBY_COMMUNES) -> list[tuple[PublicVisit, float]]:
        """The next visit of each of the ``limit`` nearest other communes that have one to come,
        with its distance in km as the crow flies: where to go when the van does not come here."""
        soonest: dict[str, PublicVisit] = {}
        for v in self.upcoming():  # in date order: the first seen is the soonest
            if not v.cancelled and v.commune_insee != exclude:
                soonest.setdefault(v.commune_insee, v)
        here = Point(lat, lon)
        ranked = sorted(((v, haversine_km(here, Point(v.lat, v.lon))) for v in soonest.values()),
                        key=lambda pair: (pair[1], pair[0].date))
        return ranked[:limit]

    def past(self, visits: Iterable[PublicVisit] | None = None) -> list[PublicVisit]:
        today = self.state.today
        return [v for v in (self.visits if visits is None else visits) if v.date < today]


# --------------------------------------------------------------------------- #
# Tour state and snapshot
# --------------------------------------------------------------------------- #


def site_today() -> date:
    return local_today(SITE_TZ)


def tour_state(today: date | None = None) -> TourState:
    """The current cache key: changes with any publication, any visit update and at midnight
    (past visits, cancelled ones leaving the feeds).

    Asked on every public request (a 304 needs nothing else), it is kept for
    ``TOURPLAN_STATE_SECONDS`` (default 2) in this process: a burst of requests asks the
    database once, and a change made elsewhere shows within those seconds. A change made in
    this process (the ``visits_changed`` signal) forgets it at once."""
    today = today or site_today()
    memo = _state_memo()
    ttl = float(current_app.config.get("TOURPLAN_STATE_SECONDS", 2.0))
    now = _time.monotonic()
    hit = memo.get(today)
    if hit is not None and now < hit[0]:
        return hit[1]
    state = _read_tour_state(today)
    if ttl > 0:
        memo.clear()  # one day at a time: a new day makes the old entry useless
        memo[today] = (now + ttl, state)
    return state


def forget_tour_state(*_args: Any, **_kwargs: Any) -> None:
    """Drop this process's remembered state (a receiver of ``visits_changed``)."""
    if current_app:
        _state_memo().clear()


def _state_memo() -> dict[date, tuple[float, TourState]]:
    return current_app.extensions.setdefault("tourplan_public_state", {})


def _read_tour_state(today: date) -> TourState:
    """The state from the database, in one round trip."""
    published = TourVersion.status == "published"
    row = db.session.execute(
        select(
            func.max(Visit.updated_at),
            func.count(Visit.id),
            select(func.max(TourVersion.published_at)).where(published).scalar_subquery(),
            select(func.count(TourVersion.id)).where(published).scalar_subquery(),
            select(func.max(TourVersion.id)).where(published).scalar_subquery(),
        )
    ).one()
    latest_visit, visit_count, latest_publication, versions, last_version = row
    midnight = datetime.combine(today, time(0), ZoneInfo(SITE_TZ)).astimezone(UTC)
    stamps = [s for s in (midnight, latest_visit, latest_publication) if s is not None]
    raw = f"{latest_visit}|{visit_count}|{latest_publication}|{versions}|{last_version}|{today}"
    key = hashlib.sha256(raw.encode()).hexdigest()[:24]
    # HTTP dates have whole seconds: round down so If-Modified-Since compares equal.
    return TourState(key=key, today=today, last_modified=max(stamps).replace(microsecond=0))


def load_visits(ids: Iterable[int] | None = None) -> list[PublicVisit]:
    """Every published visit (scheduled or cancelled) with its names — or only those of
    ``ids`` (the mail area's snapshot of a publication): one query of plain columns (no ORM
    objects: ten times faster for thousands of rows)."""
    query = (
        select(
            Visit.id, Visit.date, Visit.start, Visit.end, Visit.status, Visit.cancelled_at, Visit.revision,
            Visit.updated_at, Visit.place_label, Visit.place_address, Visit.lat, Visit.lon,
            VisitRequest.id, VisitRequest.occurrences, VisitRequest.min_days_between, VisitRequest.max_days_between,
            VisitRequest.same_weekday, VisitRequest.same_start_within_minutes,
            VisitRequest.label, VisitRequest.venue_label, VisitRequest.venue_address, VisitRequest.venue_lat,
            Commune.insee, Commune.name, Commune.name_type, Commune.postal_codes, Commune.townhall_address,
            Commune.accessibility,
            Van.slug, Van.name, Season.timezone, Season.name,
            Activity.slug, Activity.name, Activity.description, Activity.what_to_bring, Activity.audience,
        )
        .join(VisitRequest, Visit.request_id == VisitRequest.id)
        .join(Commune, VisitRequest.commune_insee == Commune.insee)
        .join(Van, Visit.van_id == Van.id)
        .join(Season, Visit.season_id == Season.id)
        .outerjoin(Activity, VisitRequest.activity_id == Activity.id)
        .order_by(Visit.date, Visit.start, Visit.id)
    )
    if ids is not None:
        query = query.where(Visit.id.in_(list(ids)))
    rows = db.session.execute(query).all()
    out = []
    series = _series_places(rows)
    for (vid, day, start, end, status, cancelled_at, revision, updated_at, place_label, place_address, lat, lon,
         request_id, occurrences, min_days, max_days, same_weekday, same_start, label, venue_label, venue_address,
         venue_lat, insee, commune_name, name_type, postal_codes, townhall, accessibility,
         van_slug, van_name, tz, season_name, act_slug, act_name, act_description, what_to_bring, audience) in rows:
        # The venue defaults to the town hall (same point, same address): then
        # the town hall's accessibility information applies to it.
        at_town_hall = venue_lat is None and (venue_address or "") in ("", townhall)
        out.append(
            PublicVisit(
                id=vid,
                date=day,
                start=start,
                end=end,
                timezone=tz or SITE_TZ,
                cancelled=status == "cancelled",
                cancelled_at=cancelled_at,
                revision=revision,
                updated_at=updated_at,
                place_label=place_label or venue_label or townhall_name(commune_name, name_type),
                place_address=place_address or (townhall if at_town_hall else ""),
                lat=lat,
                lon=lon,
                commune_insee=insee,
                commune_name=commune_name,
                commune_name_type=name_type,
                postal_code=(postal_codes or [""])[0],
                van_slug=van_slug,
                van_name=van_name,
                activity_slug=act_slug or "",
                activity_name=act_name or label,
                activity_description=act_description or "",
                what_to_bring=what_to_bring or "",
                audience=audience or "",
                label=label,
                accessibility=(accessibility or "") if at_town_hall else "",
                season_name=season_name,
                request_id=request_id,
                series_index=series.get(vid, (0, 0))[0],
                series_size=series.get(vid, (0, 0))[1],
                cycle=occurrences > 1 and is_cycle({
                    "occurrences": occurrences, "min_days_between": min_days, "max_days_between": max_days,
                    "same_weekday": same_weekday, "same_start_within_minutes": same_start}),
            )
        )
    return out


def _series_places(rows: Iterable[Any]) -> dict[int, tuple[int, int]]:
    """(k, n) of each scheduled session of a request with a rhythm: its rank by date among the
    request's scheduled visits, and their number (rows come ordered by date and start)."""
    sessions: dict[int, list[int]] = {}
    for row in rows:
        vid, status, request_id = row[0], row[4], row[12]
        rhythm = dict(zip(("occurrences", "min_days_between", "max_days_between", "same_weekday",
                           "same_start_within_minutes"), row[13:18], strict=True))
        if status != "cancelled" and has_rhythm(rhythm):
            sessions.setdefault(request_id, []).append(vid)
    return {vid: (k, len(ids)) for ids in sessions.values() if len(ids) > 1 for k, vid in enumerate(ids, 1)}


def load_depots() -> dict[str, tuple[float, float]]:
    return {slug: (lat, lon) for slug, lat, lon in db.session.execute(select(Van.slug, Van.depot_lat, Van.depot_lon))}


class PublicCache:
    """Per-app, per-process cache of the snapshot and of rendered outputs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._rendered: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._bytes = 0

    def snapshot(self, state: TourState) -> Snapshot:
        with self._lock:
            if self._snapshot is not None and self._snapshot.state.key == state.key:
                return self._snapshot
        snap = Snapshot(state=state, visits=tuple(load_visits()), depots=load_depots())
        with self._lock:
            self._snapshot = snap
            self._rendered.clear()
            self._bytes = 0
        return snap

    def rendered(self, state: TourState, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        """``build()``'s result for ``key`` in this tour state (the state is part
        of the key: an entry made before a publication is never served after)."""
        key = (state.key, *key)
        with self._lock:
            if key in self._rendered:
                self._rendered.move_to_end(key)
                return self._rendered[key]
        value = build()
        with self._lock:
            if key in self._rendered:
                self._bytes -= _size(self._rendered.pop(key))
            self._rendered[key] = value
            self._bytes += _size(value)
            while len(self._rendered) > RENDER_CACHE_SIZE or (self._bytes > RENDER_CACHE_BYTES
                                                               and len(self._rendered) > 1):
                self._bytes -= _size(self._rendered.popitem(last=False)[1])
        return value

    def body(self, state: TourState, key: tuple[Any, ...], build: Callable[[], bytes],
             folder: Path) -> bytes | BinaryIO:
        """``build()``'s bytes for ``key`` in this tour state (see :meth:`rendered`), or, when
        they are large, an open file of ``folder`` holding them (the caller closes it).

        The file is named by the state and the key, so its content never changes: the first
        worker to need it builds and writes it, atomically; the others open it without
        building anything. The first file of a new state removes the older states' folders
        (a file being sent stays readable after its removal). When the folder cannot be
        written, the bytes."""
        with self._lock:
            known = self._rendered.get((state.key, *key))
        if known is not None and len(known) < FILE_BODY_BYTES:
            return known
        path = folder / state.key / hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        with contextlib.suppress(OSError):
            return path.open("rb")
        data = self.rendered(state, key, build)
        if len(data) < FILE_BODY_BYTES:
            return data
        try:
            _write_body_file(path, data)
            return path.open("rb")
        except OSError:
            return data

    def __len__(self) -> int:
        return len(self._rendered)

    def clear(self) -> None:
        with self._lock:
            self._snapshot = None
            self._rendered.clear()
            self._bytes = 0


def _size(value: Any) -> int:
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, tuple):
        return sum(_size(v) for v in value)
    return 1024


def _write_body_file(path: Path, data: bytes) -> None:
    """Write ``path`` atomically (no worker ever reads half a body). A state's first file
    removes the other states' folders, unless one was written in the last minute: a worker
    that still sees the previous state (for ``TOURPLAN_STATE_SECONDS``) and re-creates its
    folder must not remove the new one."""
    try:
        path.parent.mkdir(parents=True)
    except FileExistsError:
        pass
    else:
        stale = _time.time() - BODY_FILES_STALE_SECONDS
        for other in path.parent.parent.iterdir():
            with contextlib.suppress(OSError):
                if other != path.parent and other.stat().st_mtime < stale:
                    shutil.rmtree(other, ignore_errors=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def body_files_folder() -> Path:
    return Path(current_app.instance_path) / BODY_FILES_FOLDER


def init_cache(app: Flask) -> None:
    from web.core import signals

    app.extensions["tourplan_public_cache"] = PublicCache()
    signals.visits_changed.connect(forget_tour_state)


def cache() -> PublicCache:
    return current_app.extensions["tourplan_public_cache"]


def current_snapshot() -> Snapshot:
    return cache().snapshot(tour_state())


# --------------------------------------------------------------------------- #
# Filters, calendar, search
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Filters:
    commune: str = ""
    van: str = ""
    activity: str = ""

    def apply(self, visits: Iterable[PublicVisit]) -> list[PublicVisit]:
        return [
            v
            for v in visits
            if (not self.commune or v.commune_insee == self.commune)
            and (not self.van or v.van_slug == self.van)
            and (not self.activity or v.activity_slug == self.activity)
        ]

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in (("commune", self.commune), ("van", self.van), ("activite", self.activity)) if v}


def read_filters(args: Any, snap: Snapshot) -> tuple[Filters, list[str]]:
    """Filters from the query string; unknown values are dropped and named."""
    ignored = []
    values = {}
    for name, param, known in (
        ("commune", "commune", {k for k, _ in snap.communes}),
        ("van", "van", {k for k, _ in snap.vans}),
        ("activity", "activite", {k for k, _ in snap.activities}),
    ):
        value = (args.get(param) or "").strip()
        if value and value not in known:
            ignored.append(param)
            value = ""
        values[name] = value
    return Filters(**values), ignored


def month_weeks(year: int, month: int) -> list[list[date]]:
    """The weeks (Monday first) covering a month, as full weeks of dates."""
    first = date(year, month, 1)
    start = first - timedelta(days=first.weekday())
    nxt = date(year + month // 12, month % 12 + 1, 1)
    weeks = []
    day = start
    while day < nxt:
        weeks.append([day + timedelta(days=i) for i in range(7)])
        day += timedelta(days=7)
    return weeks


def parse_month(text: str | None, today: date) -> tuple[int, int] | None:
    """``YYYY-MM`` (None when malformed); today's month when absent."""
    if not text:
        return today.year, today.month
    try:
        year, month = text.split("-")
        y, m = int(year), int(month)
    except ValueError:
        return None
    if len(year) != 4 or not 1 <= m <= 12 or not 1900 <= y <= 2999:
        return None
    return y, m


def get_commune(insee: str) -> Commune | None:
    return db.session.get(Commune, insee)


def van_name(slug: str) -> str | None:
    """The van's name, None when no van has that slug."""
    return db.session.execute(select(Van.name).where(Van.slug == slug)).scalar_one_or_none()


@dataclass(frozen=True)
class SeriesEntry:
    """A series shown as one thing: its sessions in this list, and all its scheduled ones
    (what its summary line counts)."""

    sessions: tuple[PublicVisit, ...]
    whole: tuple[PublicVisit, ...]


def with_series(visits: Iterable[PublicVisit], snap: Snapshot) -> list[PublicVisit | SeriesEntry]:
    """``visits`` in order, the sessions of each series gathered where its first one is."""
    order: list[PublicVisit | int] = []
    groups: dict[int, list[PublicVisit]] = {}
    for v in visits:
        if not v.in_series:
            order.append(v)
        elif v.request_id in groups:
            groups[v.request_id].append(v)
        else:
            groups[v.request_id] = [v]
            order.append(v.request_id)
    whole = {rid: tuple(w for w in snap.by_request.get(rid, ()) if w.in_series) for rid in groups}
    return [SeriesEntry(tuple(groups[e]), whole[e]) if isinstance(e, int) else e for e in order]


# --------------------------------------------------------------------------- #
# Feeds
# --------------------------------------------------------------------------- #


def visit_description(v: PublicVisit, url: str) -> str:
    lines = [v.activity_name]
    if v.label and v.label != v.activity_name:
        lines.append(v.label)
    if v.activity_description:
        lines.append(v.activity_description)
    if v.audience:
        lines.append(f"Public : {v.audience}")
    if v.what_to_bring:
        lines.append(f"À apporter : {v.what_to_bring}")
    if v.cancelled:
        lines.insert(0, "Cette visite est annulée.")
    if url:
        lines.append(f"Détails : {url}")
    return "\n".join(lines)


def feed_event(v: PublicVisit, host: str, url: str) -> FeedEvent:
    start, end = v.local_span()
    series = (v.series_index, v.series_size) if v.in_series else None
    return FeedEvent(
        uid=visit_uid(v.id, host),
        sequence=v.revision,
        summary=v.title,
        start=start,
        end=end,
        dtstamp=v.updated_at,
        last_modified=v.updated_at,
        location=v.location,
        geo=(v.lat, v.lon),
        url=url,
        description=visit_description(v, url),
        cancelled=v.cancelled,
        series=series,
        series_word="séance" if v.cycle else "passage",
    )


def feed_bytes(visits: Iterable[PublicVisit], *, today: date, host: str, url_for_visit: Callable[[int], str],
               name: str, prodid: str) -> bytes:
    """A subscribable feed: cancelled visits stay until their day has passed."""
    events = [feed_event(v, host, url_for_visit(v.id)) for v in visits if still_listed(v.date, v.cancelled, today)]
    return build_feed(events, name=name, prodid=prodid, tzid=SITE_TZ,
                      description="Passages du camion d'inclusion numérique")


def single_event_bytes(v: PublicVisit, *, host: str, url: str) -> bytes:
    return build_single_event(feed_event(v, host, url), prodid=f"-//tourplan//visite {v.id}//FR", tzid=SITE_TZ)


# --------------------------------------------------------------------------- #
# Map
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Place:
    """Where visits happen (one map marker): its next visits, and how many more."""

    lat: float
    lon: float
    title: str
    commune_insee: str
    address: str
    visits: tuple[PublicVisit, ...]
    more: int


def places_of(visits: Iterable[PublicVisit], per_place: int = 4) -> list[Place]:
    """Visits grouped by place (lat/lon), in order of each place's first visit."""
    groups: dict[tuple[float, float], list[PublicVisit]] = {}
    for v in visits:
        groups.setdefault((round(v.lat, 5), round(v.lon, 5)), []).append(v)
    places = []
    for (lat, lon), group in groups.items():
        first = group[0]
        title = first.place_label or first.commune_name
        if first.commune_name.casefold() not in title.casefold():
            title = f"{title} ({first.commune_name})"
        places.append(Place(lat, lon, title, first.commune_insee, first.place_address,
                            tuple(group[:per_place]), max(0, len(group) - per_place)))
    return places


def map_points(places: Iterable[Place], describe: Callable[[PublicVisit], str],
               url_for_commune: Callable[[str], str], more: Callable[[int], str],
               link_text: str = "Voir le détail") -> list[MapPoint]:
    """The markers of :func:`places_of` (the list beside the map shows the same)."""
    points = []
    for p in places:
        lines = [describe(v) for v in p.visits]
        if p.more:
            lines.append(more(p.more))
        points.append(MapPoint(p.lat, p.lon, p.title, tuple(lines), url_for_commune(p.commune_insee), link_text))
    return points


def day_routes(snap: Snapshot, day: date, van: str = "", label: Callable[[str], str] = str) -> list[MapRoute]:
    """Each van's route that day: depot, visits in time order, depot."""
    by_van: dict[str, list[PublicVisit]] = {}
    for v in snap.visits:
        if v.date == day and not v.cancelled and (not van or v.van_slug == van):
            by_van.setdefault(v.van_slug, []).append(v)
    colors = ("#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#b45309")
    routes = []
    for i, (slug, visits) in enumerate(sorted(by_van.items())):
        visits.sort(key=lambda v: (v.start, v.id))
        pts = [(v.lat, v.lon) for v in visits]
        depot = snap.depots.get(slug)
        if depot:
            pts = [depot, *pts, depot]
        routes.append(MapRoute(tuple(pts), label(visits[0].van_name), colors[i % len(colors)]))
    return routes
