"""The desk's "Couverture" pages: the choropleth and table of the need per commune, its
exports, the weights of the score, invitations to under-served communes; the fixed places."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tourplan.calendar import local_today
from tourplan.coverage import FAR_KM, STALE_DAYS, NeedWeights, class_breaks, class_of
from tourplan.outlines import Area, choropleth_svg
from web.auth.decorators import operator_required
from web.communes.models import Commune
from web.communes.operations import commune_count
from web.core import menu
from web.core.errors import OperationError
from web.core.formats import number
from web.core.setup_pages import edited, page, setup_page, submit
from web.core.urls import absolute_url
from web.coverage import operations as ops
from web.coverage import outcomes as outcomes_ops
from web.coverage import outreach
from web.coverage.forms import OutcomeForm, PlaceForm
from web.coverage.models import FixedPlace, VisitOutcome
from web.coverage.places import all_places, delete_place, entered_here, save_place
from web.extensions import db
from web.seasons.models import Season
from web.seasons.operations import all_seasons, find_season
from web.tours.models import Visit

bp = Blueprint("coverage", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static", url_prefix="/operateur/couverture")
menu.entry(bp, "desk", "coverage.index", "Couverture", 40)

#: CSV and GeoJSON columns, in order (documented on the page).
EXPORT_COLUMNS = ("insee", "name", "population", "visits_held", "visits_planned", "visits_per_1000",
                  "days_since_last_visit", "nearest_place_km", "nearest_place", "need_score")


def _by() -> str:
    return str(getattr(current_user, "email", "") or "opérateur")


def _season(slug: str) -> Season:
    return find_season(slug, required=False) or abort(404)


def _coverage(season: Season) -> ops.Coverage:
    period = request.args.get("periode", "saison")
    cov = ops.coverage(season, local_today(), period if period in ops.PERIODS else "saison")
    db.session.commit()  # the road legs just learnt, if any: the next page asks the engine nothing
    return cov


@bp.get("/")
@operator_required
def index() -> Any:
    season = next(iter(all_seasons(limit=1)), None)
    if season is None:
        return render_template("coverage/none.html")
    return redirect(url_for("coverage.season", slug=season.slug))


def _value_text(row: ops.CommuneCoverage, key: str) -> str:
    value = getattr(row, key)
    if value is None:
        return "jamais" if key == "days_since_last_visit" else "inconnu"
    digits = 1 if isinstance(value, float) else 0
    unit = ops.MEASURES[key].unit
    return f"{number(value, digits)} {unit}".strip()


def _outlines(cov: ops.Coverage) -> dict[str, Any]:
    return ops.territory_outlines(r.insee for r in cov.rows)


def _map(cov: ops.Coverage, measure: str, season: Season) -> tuple[str, list[tuple[str, str]]]:
    """The SVG choropleth of ``measure`` and its legend ((css class, range text), ...)."""
    values = [getattr(r, measure) for r in cov.rows]
    breaks = class_breaks([v for v in values if v is not None])
    outlines = _outlines(cov)
    label = ops.MEASURES[measure].label
    areas = []
    for r in cov.rows:
        k = class_of(getattr(r, measure), breaks)
        areas.append(Area(key=r.insee, title=f"{r.name} : {label.lower()} {_value_text(r, measure)}",
                          css_class="cx" if k is None else f"c{k}", href=f"#c-{r.insee}",
                          outline=outlines.get(r.insee), point=(r.lat, r.lon)))
    svg = choropleth_svg(areas, title=f"Carte des communes : {label.lower()}")
    legend, low = [], None
    digits = 1 if any(isinstance(v, float) for v in values) else 0
    for i, b in enumerate(breaks):
        text = f"{number(b, digits)}" if low is None else f"plus de {number(low, digits)} à {number(b, digits)}"
        legend.append((f"c{i}", ("jusqu'à " if low is None else "") + text))
        low = b
    if any(v is None for v in values):
        legend.append(("cx", "sans valeur"))
    return svg, legend


@bp.get("/<slug>/")
@operator_required
def season(slug: str) -> Any:
    season = _season(slug)
    cov = _coverage(season)
    measure = request.args.get("mesure", "need_score")
    if measure not in ops.MEASURES or measure == "name":
        measure = "need_score"
    sort = request.args.get("tri", "need_score")
    sort = sort if sort in ops.MEASURES else "need_score"
    descending = request.args.get("ordre", "desc" if sort != "name" else "asc") == "desc"
    svg, legend = _map(cov, measure, season)
    seasons = all_seasons()
    return render_template(
        "coverage/season.html", season=season, seasons=seasons, cov=cov, rows=cov.sorted_by(sort, descending),
        measure=measure, sort=sort, descending=descending, svg=svg, legend=legend, measures=ops.MEASURES,
        periods=ops.PERIODS, far_km=FAR_KM, stale_days=STALE_DAYS, value_text=_value_text,
        columns=EXPORT_COLUMNS,
    )


@bp.post("/<slug>/poids")
@operator_required
def weights(slug: str) -> Any:
    season = _season(slug)
    try:
        values = NeedWeights(*(int(request.form.get(k, "").strip()) for k in ("far", "stale", "people")))
    except ValueError:
        flash("Poids non enregistrés : chaque poids est un nombre entier de 0 à 10.", "error")
        return redirect(url_for("coverage.season", slug=slug))
    try:
        ops.save_weights(season, values, _by())
        db.session.commit()
    except OperationError as e:
        db.session.rollback()
        flash(f"Poids non enregistrés : {e.message}.", "error")
        return redirect(url_for("coverage.season", slug=slug))
    flash("Poids du score de besoin enregistrés.", "success")
    return redirect(url_for("coverage.season", slug=slug))


def _export_rows(cov: ops.Coverage) -> list[dict[str, Any]]:
    return [{c: getattr(r, c) for c in EXPORT_COLUMNS} for r in cov.sorted_by("need_score", True)]


@bp.get("/<slug>/couverture.csv")
@operator_required
def export_csv(slug: str) -> Response:
    cov = _coverage(_season(slug))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(_export_rows(cov))
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="couverture-{slug}.csv"'})


@bp.get("/<slug>/couverture.geojson")
@operator_required
def export_geojson(slug: str) -> Response:
    """Each commune as its outline (its town-hall point when it has none), with the figures."""
    cov = _coverage(_season(slug))
    outlines = _outlines(cov)
    features = []
    for r, props in zip(cov.sorted_by("need_score", True), _export_rows(cov), strict=True):
        g = outlines.get(r.insee)
        geometry = g.__geo_interface__ if g is not None else {"type": "Point", "coordinates": [r.lon, r.lat]}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    body = {"type": "FeatureCollection", "features": features}
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/geo+json",
                    headers={"Content-Disposition": f'attachment; filename="couverture-{slug}.geojson"'})


def _ticked(slug: str) -> tuple[Season, list[ops.CommuneCoverage]]:
    """The season and the communes ticked in its table, most in need first; back to the
    table with a message when none is."""
    season = _season(slug)
    chosen = set(request.form.getlist("insee"))
    rows = [r for r in _coverage(season).sorted_by("need_score", True) if r.insee in chosen]
    if not rows:
        flash("Cochez au moins une commune dans le tableau.", "error")
        abort(redirect(url_for("coverage.season", slug=slug) + "#tableau"))
    return season, rows


@bp.post("/<slug>/inviter")
@operator_required
def invite(slug: str) -> Any:
    season, rows = _ticked(slug)
    communes = [db.session.get(Commune, r.insee) for r in rows]
    result = outreach.invite(season, [c for c in communes if c is not None], absolute_url("requests.new_request"))
    db.session.commit()
    if result.queued:
        flash(f"Invitation mise dans la file des courriels pour : {', '.join(result.queued)}.", "success")
    if result.already:
        flash(f"Déjà invitées pour cette saison : {', '.join(result.already)}.", "info")
    if result.no_address:
        flash(f"Pas d'adresse de mairie connue pour : {', '.join(result.no_address)} (téléphonez-leur).", "info")
    return redirect(url_for("coverage.season", slug=slug) + "#tableau")


@bp.post("/<slug>/bonus")
@operator_required
def bonus(slug: str) -> Any:
    """What the bonus would change, to confirm: nothing is stored yet."""
    season, rows = _ticked(slug)
    return render_template("coverage/bonus.html", season=season, lines=outreach.bonus_plan(season, rows))


@bp.post("/<slug>/bonus/confirmer")
@operator_required
def bonus_confirm(slug: str) -> Any:
    season, rows = _ticked(slug)
    lines = outreach.bonus_plan(season, rows)
    raised = outreach.apply_bonus(lines, _by())
    db.session.commit()
    flash(f"Bonus de besoin appliqué à {raised} demande(s) : la prochaine planification en tient compte, "
          "et leur historique le montre dans les demandes.", "success")
    return redirect(url_for("coverage.season", slug=slug))


@bp.get("/lieux")
@operator_required
def places() -> Any:
    return render_template("coverage/places.html", places=all_places(), form=PlaceForm(), errors=[])


@setup_page(bp, "/lieux/nouveau", "/lieux/<int:place_id>", "place_id")
def place(place_id: int | None) -> Any:
    existing = edited(FixedPlace, place_id, entered_here)
    form = PlaceForm(obj=existing)
    if request.method == "POST":
        return submit(form, lambda: save_place(existing, form.values()), "Lieu « {name} » enregistré.",
                      "coverage.place", "place_id", "coverage/place.html", place=existing)
    return page("coverage/place.html", form, 200, [], place=existing)


@bp.post("/lieux/<int:place_id>/supprimer")
@operator_required
def remove_place(place_id: int) -> Any:
    gone = edited(FixedPlace, place_id, entered_here)
    delete_place(gone)
    db.session.commit()
    flash(f"Lieu « {gone.name} » supprimé.", "success")
    return redirect(url_for("coverage.places"))


@bp.get("/<slug>/bilans")
@operator_required
def outcomes(slug: str) -> Any:
    season = _season(slug)
    visits = outcomes_ops.held_visits(season, local_today())
    return render_template("coverage/outcomes.html", season=season, visits=visits,
                           recorded=outcomes_ops.outcomes_of(visits))


@bp.route("/visites/<int:visit_id>/bilan", methods=["GET", "POST"])
@operator_required
def outcome(visit_id: int) -> Any:
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        abort(404)
    form = OutcomeForm()
    existing = db.session.get(VisitOutcome, visit_id)
    if request.method == "GET" and existing is not None:
        form.show(existing)
    context = {"visit": visit, "themes": outcomes_ops.THEMES}
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                outcomes_ops.record_outcome(visit, form.people.data, form.themes(), form.note.data or "", _by(),
                                            local_today())
                db.session.commit()
            except OperationError as e:
                db.session.rollback()
                form.attach(e.where, e.message)
                return page("coverage/outcome.html", form, 422, [], **context)
            flash(f"Bilan de la visite à {visit.request.commune.name} enregistré.", "success")
            return redirect(url_for("coverage.outcomes", slug=visit.season.slug))
        return page("coverage/outcome.html", form, 422, [], **context)
    return page("coverage/outcome.html", form, 200, [], **context)


def _report(season: Season) -> outcomes_ops.SeasonReport:
    return outcomes_ops.season_report(season, local_today(), commune_count())


@bp.get("/<slug>/rapport")
@operator_required
def report(slug: str) -> Any:
    season = _season(slug)
    return render_template("coverage/report.html", season=season, report=_report(season), today=local_today())


@bp.get("/<slug>/rapport.csv")
@operator_required
def report_csv(slug: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["indicateur", "valeur"])
    writer.writerows(_report(_season(slug)).rows())
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="rapport-{slug}.csv"'})
