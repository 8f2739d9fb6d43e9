"""Public pages and iCalendar feeds (thin views; queries in operations.py)."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import refresh as babel_refresh
from markupsafe import Markup
from werkzeug.http import is_resource_modified
from werkzeug.wsgi import wrap_file

from tourplan.communes import at_commune, of_commune
from tourplan.maps import MapOptions, build_map
from web.communes.search import resolve_commune
from web.core import assets, formats, menu
from web.core.blueprint import map_frame_response
from web.core.menu import N_
from web.core.urls import absolute_url, canonical_host, safe_local_path
from web.public import i18n, open_data
from web.public import operations as ops
from web.requests.rhythm import series_facts, series_text

bp = Blueprint("public", __name__, template_folder="templates")


menu.entry(bp, "public", "public.index", N_("Accueil"), 10)
menu.entry(bp, "public", "public.calendar", N_("Calendrier"), 20)
menu.entry(bp, "public", "public.map", N_("Carte"), 30)

#: Endpoints of the request form, by whichever area provides it (issue 5).
REQUEST_FORM_ENDPOINTS = ("requests.new_request",)
FEED_CACHE_CONTROL = "public, max-age=900"
PAGE_CACHE_CONTROL = "no-cache"


def init_app(app: Flask) -> None:
    ops.init_cache(app)
    i18n.init_translations(app, Path(__file__).parent / "translations")
    app.jinja_env.filters["hm"] = _hm
    app.jinja_env.filters["longdate"] = _long_date
    app.jinja_env.filters["localdate"] = _local_date
    app.jinja_env.filters["at_name"] = _at_name
    app.jinja_env.filters["distance"] = _distance
    app.jinja_env.filters["french"] = _french_text
    app.jinja_env.filters["of_name"] = _of_name
    # A global, not a context value: the macros of _macros.html are imported without context.
    app.jinja_env.globals["series_summary"] = series_summary
    app.context_processor(_context)
    # Flask-Babel caches the locale on ``g``; when one app context spans several
    # requests (tests, scripts), the language chosen by the last request must win.
    app.before_request(babel_refresh)


# --------------------------------------------------------------------------- #
# Helpers for templates and responses
# --------------------------------------------------------------------------- #


def _hm(minutes: int) -> str:
    return formats.hm(minutes, str(get_locale() or "fr"))


def _long_date(day: date) -> str:
    return formats.long_date(day, str(get_locale() or "fr"))


def _french() -> bool:
    return str(get_locale() or "fr").startswith("fr")


def _at_name(name: str, name_type: int | None = None) -> str:
    """"aux Laubies" in French, "in Les Laubies" in English: the article decides the French."""
    return at_commune(name, name_type) if _french() else f"in {name}"


def _of_name(name: str, name_type: int | None = None) -> str:
    """"des Laubies" in French, "of Les Laubies" in English."""
    return of_commune(name, name_type) if _french() else f"of {name}"


def _french_text(text: str | None) -> Markup | str:
    """Text the team or a commune wrote (places, activities, remarks) is French: on an
    English page it is marked ``lang="fr"`` so screen readers speak it in French."""
    if not text or _french():
        return text or ""
    return Markup('<span lang="fr">{}</span>').format(text)


def _distance(km: float) -> str:
    """"12 km" (whole kilometres: the crow's distance is a hint, not a route)."""
    return f"{formats.number(round(km), 0, str(get_locale() or 'fr'))}{formats.NBSP}km"


def _local_date(moment: datetime) -> str:
    """An instant (UTC in the database) as the calendar date it fell on in France: "1er mars 2027"."""
    return formats.long_date(moment.astimezone(ZoneInfo(ops.SITE_TZ)).date(), str(get_locale() or "fr"),
                             weekday=False)


def _weekday_name(iso_day: str | int) -> str:
    """ISO weekday ("1" = Monday) in the visitor's language."""
    return format_date(date(2024, 1, int(iso_day)), format="EEEE")


def series_summary(entry: ops.SeriesEntry) -> str:
    """« Atelier tablette : 4 séances, les mardis 9 h 30, du 2 au 23 mars », in the
    visitor's language (the words are web.requests.rhythm's, as on the tracking page)."""
    facts = series_facts((v.date, v.start) for v in entry.whole)
    first = entry.whole[0]
    if facts is None:
        return first.activity_name
    return series_text(first.activity_name, facts, cycle=first.cycle)


def request_form_url() -> str | None:
    for endpoint in REQUEST_FORM_ENDPOINTS:
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return None


def _context() -> dict[str, Any]:
    return {
        "request_form_url": request_form_url,
        "current_lang": str(get_locale() or "fr"),
        "safe_web_url": safe_web_url,
        "weekday_name": _weekday_name,
        # The language switch returns to the page as the cache knows it (see _page).
        "return_path": lambda: g.get("page_path") or request.full_path,
    }


def safe_web_url(url: str) -> str | None:
    """A commune's website as a link only when it is plainly http(s)
    (a ``javascript:`` address typed in a form must never become a link)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc and not any(c in url for c in "\"'<> \t\n"):
        return url
    return None


def uid_host() -> str:
    """The host in UIDs: never the request's, so they do not change with the address used
    (two host names would give subscribers every event twice)."""
    return current_app.config.get("TOURPLAN_UID_HOST") or canonical_host()


def _etag(state: ops.TourState, *parts: str) -> str:
    raw = "|".join((state.key, *parts))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


#: Flask-Compress marks the ETag of a compressed answer with its coding ("abc:br"): a client
#: sends that tag back, and it names the same content.
_CODINGS = ("br", "gzip", "deflate")


def _client_copy_is_current(etag: str, state: ops.TourState) -> bool:
    tags = request.if_none_match
    if tags:
        return any(tags.contains_weak(t) for t in (etag, *(f"{etag}:{c}" for c in _CODINGS)))
    return not is_resource_modified(request.environ, last_modified=state.last_modified)


def _conditional(state: ops.TourState, etag: str, build: Callable[[], Response], cache_control: str) -> Response:
    """304 when the client's copy is current (checked before building anything),
    otherwise the built response, both with the same validators."""
    response = Response(status=304) if _client_copy_is_current(etag, state) else build()
    response.set_etag(etag)
    response.last_modified = state.last_modified
    response.headers["Cache-Control"] = cache_control
    return response


def _cached_body(state: ops.TourState, key: tuple[str, ...], build: Callable[[], bytes],
                 content_type: str) -> Response:
    """A cached body, from memory or, when large, from its file: the WSGI server sends a
    file with sendfile, without copying it through Python. An answer to be compressed is
    made of the bytes (see ``assets.asks_compressed``)."""
    if assets.asks_compressed():
        return Response(ops.cache().rendered(state, key, build), content_type=content_type)
    body = ops.cache().body(state, key, build, ops.body_files_folder())
    if isinstance(body, bytes):
        return Response(body, content_type=content_type)
    response = Response(wrap_file(request.environ, body), content_type=content_type, direct_passthrough=True)
    response.content_length = os.fstat(body.fileno()).st_size
    response.call_on_close(body.close)
    return response


def _feed_response(state: ops.TourState, cache_key: tuple[str, ...], filename: str,
                   build: Callable[[], bytes]) -> Response:
    etag = _etag(state, "feed", *cache_key)

    def make() -> Response:
        resp = _cached_body(state, ("feed", *cache_key), build, "text/calendar; charset=utf-8")
        resp.headers["Content-Disposition"] = f'inline; filename="{filename}"'
        return resp

    response = _conditional(state, etag, make, FEED_CACHE_CONTROL)
    # Feeds are public data: web calendars (other origins) may fetch them.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    return response


def _page(state: ops.TourState, template: str, values: Callable[[], dict[str, Any]],
          args: dict[str, str] | None = None, notes: tuple[str, ...] = ()) -> Response:
    """A cached, conditional HTML page (same bytes until the tour or the day
    changes). ``values`` is only called when the page must be rendered.

    The key is made of what the page shows, never of the raw request: ``args`` are the
    query parameters once validated (what the view understood) and ``notes`` what it
    tells about the rest (e.g. "this filter was ignored"). Junk query strings therefore
    all share one entry, and the page links back to itself with ``args`` only."""
    lang = str(get_locale() or "fr")
    args = args or {}
    g.page_path = url_for(str(request.endpoint), **(request.view_args or {}), **args)
    if session.get("_flashes"):
        return Response(render_template(template, **values()))
    # Who is looking is part of the key: the layout may greet a logged-in operator.
    key = (template, lang, g.page_path, *notes, str(session.get("_user_id", "")))
    etag = _etag(state, "page", *key)
    return _conditional(
        state,
        etag,
        lambda: Response(ops.cache().rendered(state, ("page", *key), lambda: render_template(template, **values()))),
        PAGE_CACHE_CONTROL,
    )


def _webcal(https_url: str) -> str:
    return "webcal://" + https_url.split("://", 1)[1]


def _feed_links(endpoint: str, **kwargs: Any) -> dict[str, str]:
    https = absolute_url(endpoint, **kwargs)
    return {"https": https, "webcal": _webcal(https)}


# --------------------------------------------------------------------------- #
# Pages
# --------------------------------------------------------------------------- #


@bp.get("/")
def index() -> Response:
    state = ops.tour_state()

    def values() -> dict[str, Any]:
        snap = ops.cache().snapshot(state)
        upcoming = [v for v in snap.upcoming() if not v.cancelled][:8]
        return {"upcoming": upcoming, "snap": snap, "feed": _feed_links("public.feed_all")}

    return _page(state, "public/index.html", values)


@bp.get("/recherche")
def search() -> Any:
    query = (request.args.get("q") or "").strip()[:100]
    hits: list[Any] = []
    if query:
        commune, hits = resolve_commune(query)
        if commune is not None:
            return redirect(url_for("public.commune", insee=commune.insee))
    return render_template("public/search.html", query=query, hits=hits)


@bp.get("/calendrier")
def calendar() -> Response:
    state = ops.tour_state()
    snap = ops.cache().snapshot(state)
    filters, ignored = ops.read_filters(request.args, snap)
    # No view asked for: both are sent and the screen's width chooses (the list on a phone).
    view = {"liste": "liste", "mois": "mois"}.get(request.args.get("vue") or "", "auto")
    month = ops.parse_month(request.args.get("mois"), state.today)
    args = {"vue": view, **filters.as_args()}
    if month and request.args.get("mois"):
        args["mois"] = f"{month[0]:04d}-{month[1]:02d}"
    notes = (*ignored, "bad-month" if month is None else "")
    return _page(state, "public/calendar.html",
                 lambda: _calendar_values(state, snap, filters, ignored, view, month), args, notes)


def _calendar_values(state: ops.TourState, snap: ops.Snapshot, filters: ops.Filters, ignored: list[str],
                     view: str, month: tuple[int, int] | None) -> dict[str, Any]:
    year, mon = month or (state.today.year, state.today.month)
    visits = filters.apply(snap.visits)
    weeks = ops.month_weeks(year, mon)
    first = date(year, mon, 1)
    shown_days = {d for week in weeks for d in week}
    by_day: dict[date, list[ops.PublicVisit]] = {}
    for v in visits:
        if v.date in shown_days:
            by_day.setdefault(v.date, []).append(v)
    # The list is a month long too: bounded pages on a weak connection.
    listed = [v for v in visits if (v.date.year, v.date.month) == (year, mon)] if view != "mois" else []
    return {
        "snap": snap, "filters": filters, "ignored": ignored, "view": view, "year": year, "month": mon,
        "first": first, "weeks": weeks, "by_day": by_day,
        "prev_month": (first - timedelta(days=1)).strftime("%Y-%m"),
        "next_month": date(year + mon // 12, mon % 12 + 1, 1).strftime("%Y-%m"),
        "listed": listed, "bad_month": month is None, "today": state.today,
        "month_label": format_date(first, format="LLLL y"), "weekdays": _weekday_names(),
        "feed": _feed_links("public.feed_all"),
    }


def _weekday_names() -> list[tuple[str, str]]:
    monday = date(2024, 1, 1)  # a Monday
    return [(format_date(monday + timedelta(days=i), format="EEEE"), format_date(monday + timedelta(days=i),
             format="EEE")) for i in range(7)]


def _map_day() -> tuple[date | None, bool]:
    """The ``jour`` asked for (None when absent), and whether it was malformed."""
    text = (request.args.get("jour") or "").strip()
    if not text:
        return None, False
    try:
        return date.fromisoformat(text), False
    except ValueError:
        return None, True


@bp.get("/carte")
def map() -> Response:  # noqa: A001 — the page is the map
    state = ops.tour_state()
    snap = ops.cache().snapshot(state)
    filters, ignored = ops.read_filters(request.args, snap)
    day, bad_day = _map_day()
    args = {**filters.as_args(), **({"jour": day.isoformat()} if day else {})}

    def values() -> dict[str, Any]:
        if day:
            shown = [v for v in filters.apply(snap.visits) if v.date == day and not v.cancelled]
        else:
            shown = [v for v in filters.apply(snap.upcoming()) if not v.cancelled]
        return {
            "snap": snap, "filters": filters, "ignored": ignored, "day": day, "bad_day": bad_day, "shown": shown,
            "places": ops.places_of(shown) if not day else [],
            "frame_url": url_for("public.map_frame", **args),
            "days": sorted({v.date for v in snap.upcoming() if not v.cancelled}), "today": state.today,
        }

    return _page(state, "public/map.html", values, args, (*ignored, "bad-day" if bad_day else ""))


@bp.get("/carte/cadre")
def map_frame() -> Response:
    """The folium map alone, for the iframe of the map page: it needs inline
    scripts, so it has its own CSP (nonce) and may be framed by this site only."""
    state = ops.tour_state()
    snap = ops.cache().snapshot(state)
    filters, _ignored = ops.read_filters(request.args, snap)
    day, _bad = _map_day()
    lang = str(get_locale() or "fr")
    key = ("map", lang, filters, day)

    def build() -> tuple[str, str]:
        # The cached page carries a placeholder of its own, random, replaced by each
        # response's nonce: text typed by a user (a commune name...) cannot know it, so no
        # substitution ever reaches it (a fixed placeholder in a name became the live nonce).
        placeholder = "tpnonce" + secrets.token_urlsafe(24)
        if day:
            visits = [v for v in filters.apply(snap.visits) if v.date == day and not v.cancelled]
            routes = ops.day_routes(snap, day, filters.van, label=lambda name: _("Trajet de %(van)s", van=name))
        else:
            visits = [v for v in filters.apply(snap.upcoming()) if not v.cancelled]
            routes = []
        points = ops.map_points(
            ops.places_of(visits),
            describe=lambda v: f"{_long_date(v.date)}, {_hm(v.start)}–{_hm(v.end)} : {v.activity_name}",
            url_for_commune=lambda insee: url_for("public.commune", insee=insee),
            more=lambda n: _("et %(n)d autre(s) visite(s)", n=n),
            link_text=_("Toutes les visites de cette commune"),
        )
        options = MapOptions(
            static_prefix=url_for("static", filename="vendor").rstrip("/"),
            lang=lang,
            title=_("Carte des visites"),
            tiles=current_app.config.get("TOURPLAN_MAP_TILES", True),
            center=(44.5, 3.5) if not points else (points[0].lat, points[0].lon),
            zoom=9,
        )
        return placeholder, build_map(points, routes, options, nonce=placeholder)

    placeholder, page = ops.cache().rendered(state, key, build)
    nonce = secrets.token_urlsafe(16)
    response = map_frame_response(page.replace(placeholder, nonce), nonce)
    # OpenStreetMap's tile servers refuse requests without a Referer: send our
    # origin (never the page's path) with the tile requests of this frame.
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/communes/<insee>")
def commune(insee: str) -> Response:
    town = ops.get_commune(insee)
    if town is None:
        abort(404)
    state = ops.tour_state()
    snap = ops.cache().snapshot(state)
    visits = snap.by_commune.get(insee, [])
    upcoming = ops.with_series(snap.upcoming(visits), snap)
    past = ops.with_series(snap.past(visits)[-20:][::-1], snap)
    nearby = [] if upcoming else snap.nearest_upcoming(town.lat, town.lon, exclude=insee)
    return Response(render_template(
        "public/commune.html", commune=town, upcoming=upcoming, past=past, today=state.today, nearby=nearby,
        feed=_feed_links("public.feed_commune", insee=insee), website=safe_web_url(town.website),
    ))


def _published_visit(visit_id: int) -> tuple[Any, Any]:
    """The tour state and the visit as published, or a 404 page."""
    state = ops.tour_state()
    v = ops.cache().snapshot(state).by_id.get(visit_id)
    if v is None:
        abort(404)
    return state, v


@bp.get("/visites/<int:visit_id>")
def visit(visit_id: int) -> Response:
    state, v = _published_visit(visit_id)
    return _page(state, "public/visit.html", lambda: {
        "v": v, "today": state.today, "feed": _feed_links("public.feed_commune", insee=v.commune_insee)})


@bp.get("/accessibilite")
def accessibility() -> str:
    """The accessibility statement, on the official RGAA model; status, date and contact
    come from the settings (README, deployment notes)."""
    when = current_app.config.get("TOURPLAN_ACCESSIBILITY_DATE")
    return render_template("public/accessibility.html",
                           statement_date=_long_date(date.fromisoformat(when)) if when else None,
                           status=current_app.config["TOURPLAN_ACCESSIBILITY_STATUS"])


@bp.get("/mentions-legales")
def legal() -> str:
    return render_template("public/legal.html")


@bp.get("/donnees")
def data_sources() -> str:
    return render_template("public/data.html", open_data_columns=open_data.COLUMNS)


def _open_data(kind: str, mimetype: str, build: Callable[[ops.Snapshot], bytes]) -> Response:
    """The published tour as a file, cached until the next publication (like the calendars)."""
    state = ops.tour_state()

    def make() -> Response:
        resp = _cached_body(state, ("open-data", kind), lambda: build(ops.cache().snapshot(state)), mimetype)
        resp.headers["Content-Disposition"] = f'attachment; filename="tournee.{kind}"'
        return resp

    response = _conditional(state, _etag(state, "open-data", kind), make, FEED_CACHE_CONTROL)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/donnees/tournee.csv")
def open_data_csv() -> Response:
    return _open_data("csv", "text/csv; charset=utf-8", lambda snap: open_data.tour_csv(snap.visits))


@bp.get("/donnees/tournee.geojson")
def open_data_geojson() -> Response:
    source = absolute_url("public.data_sources")
    return _open_data("geojson", "application/geo+json",
                      lambda snap: open_data.tour_geojson(snap.visits, source))


@bp.get("/langue/<code>")
def language(code: str) -> Any:
    """Switch language, then back to the page the visitor was on (same site only)."""
    if code in current_app.config.get("LANGUAGES", ("fr", "en")):
        session["lang"] = code
    return redirect(safe_local_path(request.args.get("suite")) or url_for("public.index"))


# --------------------------------------------------------------------------- #
# Feeds
# --------------------------------------------------------------------------- #


def _visit_url(visit_id: int) -> str:
    return absolute_url("public.visit", visit_id=visit_id)


def _visits_feed(key: tuple[str, ...], filename: str, name: str, prodid: str,
                 visits: Callable[[ops.Snapshot], Iterable[ops.PublicVisit]]) -> Response:
    """The calendar feed of the published visits ``visits`` takes from the tour's snapshot."""
    state = ops.tour_state()
    host = uid_host()

    def build() -> bytes:
        return ops.feed_bytes(visits(ops.cache().snapshot(state)), today=state.today, host=host,
                              url_for_visit=_visit_url, name=name, prodid=prodid)

    return _feed_response(state, (*key, host), filename, build)


def _feed_of(kind: str, key: str, name: str | None,
             visits: Callable[[ops.Snapshot], Iterable[ops.PublicVisit]]) -> Response:
    """The feed of one commune or one van (``name`` None: there is no such one)."""
    if name is None:
        abort(404)
    return _visits_feed((kind, key), f"{kind}-{key}.ics", f"Camion numérique – {name}",
                        f"-//tourplan//{kind} {key}//FR", visits)


@bp.get("/calendar.ics")
def feed_all() -> Response:
    return _visits_feed(("all",), "tournee.ics", "Tournée du camion numérique", "-//tourplan//calendrier//FR",
                        lambda snap: snap.visits)


@bp.get("/communes/<insee>.ics")
def feed_commune(insee: str) -> Response:
    town = ops.get_commune(insee)
    return _feed_of("commune", insee, town.name if town else None, lambda snap: snap.by_commune.get(insee, []))


@bp.get("/vans/<slug>.ics")
def feed_van(slug: str) -> Response:
    return _feed_of("van", slug, ops.van_name(slug), lambda snap: snap.by_van.get(slug, []))


@bp.get("/visites/<int:visit_id>.ics")
def visit_ics(visit_id: int) -> Response:
    state, v = _published_visit(visit_id)
    host = uid_host()
    response = _feed_response(
        state, ("visit", str(visit_id), host), f"visite-{visit_id}.ics",
        lambda: ops.single_event_bytes(v, host=host, url=_visit_url(visit_id)),
    )
    # A file to import, not a feed to display.
    response.headers["Content-Disposition"] = f'attachment; filename="visite-{visit_id}.ics"'
    return response
