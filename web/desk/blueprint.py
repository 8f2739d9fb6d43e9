"""Planning desk pages: plan jobs, draft review, locks and hand moves, publication, print.

Thin views: the work is in :mod:`web.desk.operations` and :mod:`web.jobs.operations`.
Every view is guarded by ``operator_required``; every POST carries the CSRF token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from tourplan.activities import EQUIPMENT
from tourplan.maps import NONCE_PLACEHOLDER, MapOptions, MapPoint, MapRoute, build_map
from tourplan.problem import ProblemError
from web.auth.decorators import operator_required
from web.core import menu
from web.core.blueprint import map_frame_response
from web.core.errors import ConflictError, NotFoundError, OperationError
from web.core.urls import base_url, int_param, visit_page_url
from web.coverage.outreach import bonuses_before
from web.desk import operations as ops
from web.desk.moves import MoveRefused, date_fr
from web.extensions import db
from web.jobs import operations as jobs
from web.jobs.models import PlanningJob
from web.requests import operations as request_ops
from web.seasons.models import Season
from web.seasons.operations import all_seasons, find_season
from web.tours.models import Visit
from web.vans.operations import all_vans

bp = Blueprint(
    "desk",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
    url_prefix="/operateur/planification",
)
menu.entry(bp, "desk", "desk.index", "Planification", 30)

#: Seconds between two refreshes of a running job's page (a <meta refresh>, works without JS).
REFRESH_SECONDS = 2
#: Above this many van-days, the review shows one month at a time.
MAX_VAN_DAYS_ON_PAGE = 40


def _by() -> str:
    return str(getattr(current_user, "email", "") or "opérateur")


def _season(slug: str) -> Season:
    season = find_season(slug, required=False)
    if season is None:
        abort(404)
    return season


def _version(version_id: int):  # noqa: ANN202
    try:
        return ops.get_version(version_id)
    except NotFoundError:
        abort(404)


def _int(name: str) -> int:
    value = int_param(request.form.get(name))
    if value is None:
        abort(400)
    return value


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


# --------------------------------------------------------------------------- #
# Seasons and jobs
# --------------------------------------------------------------------------- #


@bp.get("/")
@operator_required
def index() -> Any:
    seasons = all_seasons()
    rows = []
    for s in seasons:
        versions = ops.versions_of(s.id)
        rows.append({
            "season": s,
            "published": next((v for v in versions if v.status == "published"), None),
            "drafts": [v for v in versions if v.status == "draft"][:3],
            "job": jobs.active_job(s.id),
        })
    return render_template("desk/index.html", rows=rows,
                           default_time_limit=current_app.config["TOURPLAN_PLAN_TIME_LIMIT"])


@bp.get("/saisons/<slug>")
@operator_required
def season(slug: str) -> Any:
    s = _season(slug)
    return render_template("desk/season.html", season=s, versions=ops.versions_of(s.id),
                           jobs=jobs.recent_jobs(s.id), pins=ops.season_pins(s.id), active=jobs.active_job(s.id),
                           default_time_limit=current_app.config["TOURPLAN_PLAN_TIME_LIMIT"])


@bp.post("/saisons/<slug>/planifier")
@operator_required
def plan(slug: str) -> Any:
    s = _season(slug)
    try:
        job = jobs.start_job(s, by=_by(), time_limit=request.form.get("time_limit", ""))
    except ConflictError as e:
        flash(e.message[:1].upper() + e.message[1:] + ".", "error")
        running = jobs.active_job(s.id)
        return redirect(url_for(".job", job_id=running.id) if running else url_for(".season", slug=slug))
    except OperationError as e:
        flash(e.message[:1].upper() + e.message[1:] + ".", "error")
        return redirect(url_for(".season", slug=slug))
    flash("Planification lancée.", "success")
    return redirect(url_for(".job", job_id=job.id))


def _job(job_id: int) -> PlanningJob:
    try:
        return jobs.get_job(job_id)
    except NotFoundError:
        abort(404)


@bp.get("/travaux/<int:job_id>")
@operator_required
def job(job_id: int) -> Any:
    j = _job(job_id)
    response = Response(render_template("desk/job.html", job=j, status=jobs.job_status(j),
                                        refresh=REFRESH_SECONDS if j.active else None))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/travaux/<int:job_id>.json")
@operator_required
def job_json(job_id: int) -> Any:
    response = jsonify(jobs.job_status(_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/travaux/<int:job_id>/arreter")
@operator_required
def stop_job(job_id: int) -> Any:
    j = _job(job_id)
    try:
        jobs.request_stop(j, by=_by())
        flash("Arrêt demandé : la planification s'arrête dans un instant.", "success")
    except OperationError as e:
        flash(e.message[:1].upper() + e.message[1:] + ".", "error")
    return redirect(url_for(".job", job_id=job_id))


# --------------------------------------------------------------------------- #
# Review of a version
# --------------------------------------------------------------------------- #


@bp.get("/versions/<int:version_id>")
@operator_required
def version(version_id: int) -> Any:
    """The review desk: figures, changes, then for the chosen day a timeline per van beside
    the map (``jour``; ``arret`` selects a stop in both), then every van-day of the version
    (filtered by van and month) and the left-out visits."""
    v = _version(version_id)
    view = ops.VersionView(v)
    routes = view.routes() if v.plan_json is not None else []
    vans = all_vans()
    van_filter = request.args.get("van") or ""
    months = sorted({r.day.strftime("%Y-%m") for r in routes})
    month = request.args.get("mois") or ""
    if month == "tout":
        month = ""
    elif month not in months:
        # A long season would make a long list: show it a month at a time.
        month = months[0] if len(routes) > MAX_VAN_DAYS_ON_PAGE else ""
    by_van: dict[str, list[ops.RouteView]] = {}
    for r in routes:
        if (not van_filter or r.van.slug == van_filter) and (not month or r.day.strftime("%Y-%m") == month):
            by_van.setdefault(r.van.slug, []).append(r)
    days = sorted({r.day for r in routes})
    map_day = _day(request.args.get("jour"))
    if map_day not in days:
        map_day = days[0] if days else None
    day_routes = [r for r in routes if r.day == map_day]
    stop_keys = {ops.stop_key(r, s) for r in day_routes for s in r.stops}
    selected = request.args.get("arret") or ""
    i = days.index(map_day) if map_day in days else 0
    return render_template(
        "desk/version.html",
        version=v,
        view=view,
        figures=view.figures() if v.plan_json is not None else None,
        by_van=by_van,
        vans=vans,
        van_filter=van_filter,
        months=months,
        month=month,
        days=days,
        map_day=map_day,
        previous_day=days[i - 1] if map_day and i > 0 else None,
        next_day=days[i + 1] if map_day and i + 1 < len(days) else None,
        day_routes=day_routes,
        colors=ops.van_colors(vans),
        stop_key=ops.stop_key,
        selected=selected if selected in stop_keys else "",
        targets=view.move_targets(day_routes) if v.status == "draft" else {},
        left_out=view.left_out(with_options=v.status == "draft"),
        diff=view.diff() if v.plan_json is not None else None,
        digest=ops.plan_digest(v.plan_json),
        unlocked=ops.unlocked_keys(v.season_id),
        published_ids=ops.published_visit_ids(v.season_id),
        co2_factor=ops.CO2_KG_PER_KM,
        need_bonuses=bonuses_before(v.season_id, v.created_at),
    )


def day_map_page(view: ops.VersionView, day: date | None, *, selected: str = "", tiles: bool = True,
                 nonce: str = NONCE_PLACEHOLDER) -> str:
    """One day of a version as a map document: numbered pins in each van's colour, the
    depots, each van's route; pins carry their stop's key (``<van>-<n>``) so that the
    review page and the map select the same stop. The review's frame and the route sheet
    (printed) show it."""
    routes = [r for r in view.routes() if day is None or r.day == day]
    vans = all_vans()
    colors = ops.van_colors(vans)
    points, lines, depots = [], [], {}
    for r in routes:
        color = ops.VAN_COLORS[colors.get(r.van.slug, 0)]
        depots.setdefault(r.van.slug, r.van)
        track = [(r.van.depot_lat, r.van.depot_lon)]
        for s in r.stops:
            req = s.request
            points.append(MapPoint(req.lat, req.lon, f"{s.order}. {req.commune.name}",
                                   (f"{r.van.name}, {s.times}", req.label), number=s.order, color=color,
                                   key=ops.stop_key(r, s)))
            track.append((req.lat, req.lon))
        track.append((r.van.depot_lat, r.van.depot_lon))
        lines.append(MapRoute(tuple(track), f"{r.van.name} – {r.date_label}", color))
    for van in depots.values():
        points.append(MapPoint(van.depot_lat, van.depot_lon, f"Dépôt de {van.name}",
                               (van.depot_label,) if van.depot_label else (), depot=True,
                               color=ops.VAN_COLORS[colors.get(van.slug, 0)]))
    options = MapOptions(
        static_prefix=url_for("static", filename="vendor").rstrip("/"),
        title=f"Tournée du {date_fr(day)}" if day else "Tournée",
        tiles=tiles,
        center=(points[0].lat, points[0].lon) if points else (44.5, 3.5),
        zoom=9,
        selected=selected,
    )
    return build_map(points, lines, options, nonce=nonce)


@bp.get("/versions/<int:version_id>/carte")
@operator_required
def version_map(version_id: int) -> Any:
    """One day of a version on a map, as its own document for an iframe (it needs scripts,
    so it gets its own CSP with a nonce, like the public map)."""
    v = _version(version_id)
    tiles = current_app.config.get("TOURPLAN_MAP_TILES", True)
    # Built for this response only: the live nonce goes straight in (never substituted
    # afterwards, which would also hit a label that happens to contain the placeholder).
    nonce = secrets.token_urlsafe(16)
    page = day_map_page(ops.VersionView(v), _day(request.args.get("jour")),
                        selected=request.args.get("arret") or "", tiles=tiles, nonce=nonce)
    return map_frame_response(page, nonce)


def _back(version_id: int, anchor: str = "") -> Any:
    target = url_for(".version", version_id=version_id, van=request.form.get("van_filter") or None,
                     mois=request.form.get("month_filter") or None, jour=request.form.get("jour") or None)
    return redirect(target + (f"#{anchor}" if anchor else ""))


def _refused(e: OperationError | MoveRefused) -> None:
    text = e.message
    flash(text[:1].upper() + text[1:] + ("" if text.endswith(".") else "."), "error")


def _edit(version_id: int, anchor: str, change: Callable[[], str]) -> Any:
    """An operator's edit of a version: ``change()`` stored with the success message it
    returns, or rolled back with the refusal said; then back to the version at ``anchor``."""
    try:
        done = change()
        db.session.commit()
    except (OperationError, MoveRefused) as e:
        db.session.rollback()
        _refused(e)
    else:
        flash(done, "success")
    return _back(version_id, anchor)


@bp.post("/versions/<int:version_id>/verrouiller")
@operator_required
def lock(version_id: int) -> Any:
    v = _version(version_id)

    def change() -> str:
        try:
            ops.lock_visit(v, _int("request_id"), _int("occurrence"), by=_by(), digest=request.form.get("digest"))
        except ProblemError as e:
            raise OperationError(f"verrouillage refusé : {e}") from None
        return "Visite verrouillée : elle restera à cette place lors des prochaines planifications."

    return _edit(version_id, "journee", change)


@bp.post("/versions/<int:version_id>/deverrouiller")
@operator_required
def unlock(version_id: int) -> Any:
    v = _version(version_id)

    def change() -> str:
        ops.unlock_visit(v, _int("request_id"), _int("occurrence"), by=_by(), digest=request.form.get("digest"))
        return ("Visite déverrouillée : les prochaines planifications pourront la déplacer, jusqu'à la prochaine "
                "publication.")

    return _edit(version_id, _anchor(), change)


def _anchor() -> str:
    """Back where the form was: the routes, or the left-out visits' explanations."""
    return "laissees" if request.form.get("retour") == "laissees" else "journee"


@bp.post("/versions/<int:version_id>/echanger")
@operator_required
def swap(version_id: int) -> Any:
    """Place a left-out visit on a van-day instead of one of its visits (which is left out)."""
    v = _version(version_id)
    day = _day(request.form.get("date"))
    if day is None:
        flash("Échange refusé : indiquez une date valide (AAAA-MM-JJ).", "error")
        return _back(version_id, "laissees")

    def change() -> str:
        ops.swap(v, _int("request_id"), _int("occurrence"), _int("out_request_id"), _int("out_occurrence"),
                 request.form.get("van", ""), day, by=_by(), digest=request.form.get("digest"))
        return (f"Visite placée le {date_fr(day)} ; celle qu'elle remplace est maintenant laissée de côté : "
                "placez-la ailleurs ou replanifiez.")

    return _edit(version_id, "laissees", change)


@bp.post("/versions/<int:version_id>/deplacer")
@operator_required
def move(version_id: int) -> Any:
    v = _version(version_id)
    van_slug, _sep, iso = (request.form.get("cible") or "").partition("|")
    if not _sep:  # the left-out visits' forms name van and date apart
        van_slug, iso = request.form.get("van", ""), request.form.get("date") or ""
    day = _day(iso)
    if day is None:
        flash("Déplacement refusé : indiquez une date valide (AAAA-MM-JJ).", "error")
        return _back(version_id, "journee")

    def change() -> str:
        ops.move(v, _int("request_id"), _int("occurrence"), van_slug, day, by=_by(), digest=request.form.get("digest"))
        return f"Visite déplacée au {date_fr(day)} ; le brouillon respecte toutes les règles."

    return _edit(version_id, _anchor(), change)


@bp.post("/versions/<int:version_id>/publier")
@operator_required
def publish(version_id: int) -> Any:
    v = _version(version_id)
    try:
        result = ops.publish(v, by=_by())
    except OperationError as e:
        db.session.rollback()
        _refused(e)
        return redirect(url_for(".version", version_id=version_id))
    flash(
        f"Version n° {result.version.number} publiée : {result.created} visite(s) nouvelle(s), "
        f"{result.changed} modifiée(s), {result.unchanged} inchangée(s), {result.cancelled} annulée(s).",
        "success",
    )
    return redirect(url_for(".version", version_id=version_id))


# --------------------------------------------------------------------------- #
# Print
# --------------------------------------------------------------------------- #


@bp.get("/versions/<int:version_id>/feuille/<van_slug>/<day>")
@operator_required
def route_sheet(version_id: int, van_slug: str, day: str) -> Any:
    v = _version(version_id)
    d = _day(day)
    if d is None or v.plan_json is None:
        abort(404)
    try:
        route = ops.VersionView(v).route(van_slug, d)
    except NotFoundError:
        abort(404)
    load = sorted({e for s in route.stops for e in (s.request.equipment or [])})
    return render_template("desk/route_sheet.html", version=v, route=route, equipment_names=EQUIPMENT,
                           load=load)


def visit_url(visit_id: int) -> str:
    """What a poster's QR code points at: the visit's public page, or the address it would
    have if the public site is not installed here."""
    return visit_page_url(visit_id, external=True) or f"{base_url()}/visites/{visit_id}"


def qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG (segno escapes nothing it is not given: the URL
    is ours, built by absolute_url)."""
    qr = segno.make(url, error="m", micro=False)
    svg = qr.svg_inline(scale=8, border=2, dark="#000", light="#fff", title=f"QR code : {url}")
    return Markup(svg)  # noqa: S704  - segno's own SVG of a URL we built


@bp.get("/visites/<int:visit_id>/affiche")
@operator_required
def poster(visit_id: int) -> Any:
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        abort(404)
    url = visit_url(visit.id)
    # A cycle's poster lists all its sessions (those still on: the series as published).
    from flask_babel import force_locale

    from web.requests.rhythm import request_series_text

    series = [v for v in request_ops.request_visits(visit.request) if v.status == "scheduled"]
    with force_locale("fr"):  # a poster is French, whatever language its operator reads
        series_text = request_series_text(visit.request, series, named=False)
    return render_template("desk/poster.html", visit=visit, req=visit.request, url=url, qr=qr_svg(url),
                           date_label=date_fr(visit.date), series=series if series_text else [],
                           series_text=series_text)


# --------------------------------------------------------------------------- #
# Setup overview: the vans' and seasons' own pages are in web/vans and web/seasons
# --------------------------------------------------------------------------- #

setup_bp = Blueprint("setup", __name__, template_folder="templates", url_prefix="/operateur/parametres")
menu.entry(setup_bp, "desk", "setup.index", "Camions et saisons", 20)


@setup_bp.route("/", endpoint="index")
@operator_required
def setup_index() -> Any:
    return render_template("desk/setup.html", vans=all_vans(by_name=True), seasons=all_seasons())


blueprints = [bp, setup_bp]
