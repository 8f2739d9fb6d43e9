"""Public pages of requests: the form, commune suggestions, the private tracking page.

The operator inbox lives in :mod:`web.requests.inbox` (its own blueprint, registered here).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Flask, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.activities.models import Activity
from web.activities.operations import catalogue
from web.auth.forms import csrf_failed
from web.auth.ratelimit import client_address, init_limiter, limiter
from web.communes.search import search_communes
from web.core import formats, menu
from web.core.blueprint import private
from web.core.errors import OperationError
from web.core.menu import N_
from web.core.transactions import retrying
from web.core.urls import absolute_url, visit_page_url
from web.extensions import db
from web.requests import changes
from web.requests import operations as ops
from web.requests import rhythm as rh
from web.requests.forms import (
    RHYTHM_HINTS,
    CancelForm,
    ChangeForm,
    RequestForm,
    WithdrawChangeForm,
    activity_descriptions,
    day_name,
    duration_text,
    equipment_text,
    format_date_fr,
    hours_text,
    local_date,
    local_datetime,
    local_hm,
    service_days_text,
)
from web.requests.inbox import bp as inbox_bp
from web.requests.models import VisitRequest
from web.seasons.operations import open_seasons

bp = Blueprint(
    "requests",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/requests",
)

menu.entry(bp, "public", "requests.new_request", N_("Demander un passage"), 40)

TOO_MANY_POSTS = N_("Trop d'envois depuis votre connexion en peu de temps. Réessayez dans une heure.")
TOO_MANY_REQUESTS = N_("Plusieurs demandes ont déjà été envoyées depuis votre connexion. Réessayez dans une heure.")
ROBOT = N_("Votre demande n'a pas pu être enregistrée. Si vous êtes une personne, écrivez-nous directement.")


def init_app(app: Flask) -> None:
    init_limiter(app)  # the TOURPLAN_REQUEST_* limits: web/config.py
    app.jinja_env.filters.setdefault("date_fr", format_date_fr)
    app.jinja_env.filters.setdefault("request_date", local_date)  # in the visitor's language
    app.jinja_env.filters.setdefault("hhmm", formats.hm)
    app.jinja_env.filters.setdefault("duration", duration_text)
    app.jinja_env.filters.setdefault("equipment", equipment_text)
    app.jinja_env.filters.setdefault("isodate_fr", _isodate_fr)
    app.jinja_env.filters.setdefault("datetime_fr", _datetime_fr)
    app.jinja_env.filters.setdefault("weekday_name", day_name)
    app.jinja_env.filters.setdefault("request_hm", local_hm)  # in the visitor's language
    app.jinja_env.filters.setdefault("request_datetime", local_datetime)
    app.context_processor(
        lambda: {"status_label": lambda s: ops.STATUS_LABELS.get(s, s), "allowed": ops.allowed_transitions,
                 "rhythm_hints": RHYTHM_HINTS, "service_days_text": service_days_text, "hours_text": hours_text}
    )


def _isodate_fr(value: Any) -> str:
    try:
        return format_date_fr(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _datetime_fr(value: datetime | None) -> str:
    if value is None:
        return ""
    return formats.paris_datetime(value)


@bp.route("/demander", methods=["GET", "POST"])
def new_request() -> Any:
    seasons = open_seasons()
    activities = catalogue()
    if not seasons or not activities:
        return render_template("requests/closed.html"), 200 if request.method == "GET" else 409
    form = RequestForm(seasons=seasons, activities=activities)
    status = 200
    general: list[tuple[str, str]] = []
    if request.method == "POST":
        cfg = current_app.config
        window = cfg["TOURPLAN_REQUEST_WINDOW_SECONDS"]
        address = client_address()
        if not limiter().hit("request-post:" + address, cfg["TOURPLAN_REQUEST_MAX_POSTS"], window):
            return _render_form(form, activities, [("", _(TOO_MANY_POSTS))], validated=False), 429
        if form.is_robot():
            return render_template("requests/refused.html", message=_(ROBOT)), 400
        if form.wants_more_periods():
            # The "+" button: one more row, nothing checked nor stored yet.
            form.periods.append_entry()
            return _render_form(form, activities, [], validated=False), 200
        if form.validate_on_submit():
            stored = _store_request(form, activities, address)
            if not isinstance(stored, str):
                return stored
            general.append(("", stored))
            status = 422
        else:
            status = 400 if csrf_failed(form) else 422
            if csrf_failed(form):
                general.append(("", _("Le formulaire a expiré. Vérifiez vos réponses et renvoyez-le.")))
    return _render_form(form, activities, general, validated=request.method == "POST"), status


def _store_request(form: RequestForm, activities: list[Activity], address: str) -> Any:
    """Store a valid posted request and go to its tracking page; or the refusal's message (str)."""
    cfg = current_app.config
    window = cfg["TOURPLAN_REQUEST_WINDOW_SECONDS"]
    if not limiter().allowed("request-stored:" + address, cfg["TOURPLAN_REQUEST_MAX_STORED"], window):
        return _render_form(form, activities, [("", _(TOO_MANY_REQUESTS))], validated=False), 429
    try:
        req = ops.create_request(
            season=form.chosen_season,
            commune=form.commune_obj,
            label=form.request_label(),
            activity=form.chosen_activity,
            by="commune",
            **form.request_fields(),
        )
        db.session.commit()
    except OperationError as e:
        db.session.rollback()
        return e.message
    limiter().hit("request-stored:" + address, cfg["TOURPLAN_REQUEST_MAX_STORED"], window)
    flash(_("Votre demande est enregistrée. Gardez l'adresse de cette page pour la suivre."), "success")
    return redirect(url_for("requests.track", token=req.tracking_token))


def _render_form(
    form: RequestForm, activities: list[Activity], general: list[tuple[str, str]], *, validated: bool
) -> str:
    items = form.error_items() if validated else []
    return render_template(
        "requests/form.html",
        form=form,
        errors=general + items,
        descriptions=activity_descriptions(activities),
    )


@bp.route("/demander/communes.json")
def commune_suggestions() -> Any:
    """Suggestions for the commune field (progressive enhancement of the form)."""
    query = request.args.get("q", "")[:100]
    hits = search_communes(query, limit=10) if len(query.strip()) >= 2 else []
    response = jsonify([h.as_json() for h in hits])
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _request_or_404(token: str) -> VisitRequest:
    req = ops.find_by_token(token)
    if req is None:
        abort(404)
    return req


@bp.route("/suivi/<token>")
def track(token: str) -> Any:
    req = _request_or_404(token)
    visits = ops.request_visits(req)
    change = changes.latest_change(req)
    page = render_template(
        "requests/track.html",
        req=req,
        visits=visits,
        rhythm_text=rh.describe(rh.request_rhythm(req)),
        series_text=rh.request_series_text(req, visits),
        visit_url=lambda visit: visit_page_url(visit.id),
        history=ops.commune_history(req),
        cancelled=ops.cancellation(req),
        can_cancel="cancelled" in ops.allowed_transitions(req.status),
        can_change=changes.can_change(req),
        change=change,
        change_rows=changes.rows_of(change) if change is not None else [],
        withdraw_form=WithdrawChangeForm(formdata=None),
        tracking_url=absolute_url("requests.track", token=req.tracking_token),
    )
    return private(current_app.make_response(page))


@bp.route("/suivi/<token>/annuler", methods=["GET", "POST"])
def cancel(token: str) -> Any:
    req = _request_or_404(token)
    form = CancelForm()
    status = 200
    message = None
    if "cancelled" not in ops.allowed_transitions(req.status):
        message = _("Cette demande ne peut plus être annulée : elle est « %(status)s ».",
                    status=_(ops.STATUS_LABELS[req.status]))
        status = 409
    elif request.method == "POST":
        if form.validate_on_submit():

            def cancel_now() -> None:
                # Read again on each try: a retried attempt starts from a rolled-back session.
                ops.cancel(_request_or_404(token), by="commune", note="Annulée par la commune depuis le lien de suivi.")
                db.session.commit()

            try:
                retrying(cancel_now)
            except OperationError as e:
                db.session.rollback()
                message, status = e.message, 409
            else:
                flash(_("Votre demande est annulée."), "success")
                return private(redirect(url_for("requests.track", token=token)))
        else:
            message, status = _("Le formulaire a expiré. Merci de confirmer à nouveau."), 400
    page = render_template("requests/cancel.html", req=req, form=form, message=message)
    return private(current_app.make_response((page, status)))


def _change_activities(req: VisitRequest) -> list[Activity]:
    """The catalogue, and the request's own activity even if it has left it (kept as it is)."""
    activities = catalogue()
    if req.activity is not None and req.activity not in activities:
        activities.append(req.activity)
    return activities


@bp.route("/suivi/<token>/modifier", methods=["GET", "POST"])
def change(token: str) -> Any:
    """The request's values to change, checked as the request form checks them; stored as a
    change the team accepts or refuses (nothing changes on the request before)."""
    req = _request_or_404(token)
    if not changes.can_change(req):
        message = _("Cette demande ne peut plus être modifiée : elle est « %(status)s ».",
                    status=_(ops.STATUS_LABELS[req.status]))
        page = render_template("requests/change.html", req=req, form=None, errors=[("", message)], pending=None)
        return private(current_app.make_response((page, 409)))
    pending = changes.pending_change(req)
    activities = _change_activities(req)
    form = ChangeForm(req=req, activities=activities, shown=changes.Proposal(req, pending))
    status, general = 200, []
    if request.method == "POST":
        cfg = current_app.config
        if not limiter().hit("change-post:" + client_address(), cfg["TOURPLAN_REQUEST_MAX_POSTS"],
                             cfg["TOURPLAN_REQUEST_WINDOW_SECONDS"]):
            general, status = [("", _(TOO_MANY_POSTS))], 429
        elif form.wants_more_periods():
            form.periods.append_entry()
        elif not form.validate_on_submit():
            status = 400 if csrf_failed(form) else 422
            if csrf_failed(form):
                general.append(("", _("Le formulaire a expiré. Vérifiez vos réponses et renvoyez-le.")))
            general += form.error_items()
        elif not changes.differences(req, form.change_fields()):
            general, status = [("", _("Vous n'avez rien changé : modifiez au moins une valeur de la demande "
                                      "avant d'envoyer."))], 422
        else:
            stored = _store_change(token, form)
            if not isinstance(stored, str):
                return stored
            general, status = [("", stored)], 422
    page = render_template("requests/change.html", req=req, form=form, errors=general, pending=pending,
                           descriptions=activity_descriptions(activities),
                           action=url_for("requests.change", token=token))
    return private(current_app.make_response((page, status)))


def _store_change(token: str, form: ChangeForm) -> Any:
    """Store a valid change and go back to the tracking page; or the refusal's message (str)."""

    def propose_now() -> None:
        # Read again on each try: a retried attempt starts from a rolled-back session.
        changes.propose_change(_request_or_404(token), form.change_fields(), form.message.data or "")
        db.session.commit()

    try:
        retrying(propose_now)
    except OperationError as e:
        db.session.rollback()
        return _("La demande de modification n'est pas enregistrée : %(reason)s.", reason=e.message)
    flash(_("Votre demande de modification est envoyée. Rien ne change tant que l'équipe ne l'a pas acceptée : "
            "nous vous écrivons dès qu'elle a décidé."), "success")
    return private(redirect(url_for("requests.track", token=token)))


@bp.route("/suivi/<token>/modification/retirer", methods=["POST"])
def withdraw_change(token: str) -> Any:
    req = _request_or_404(token)
    form = WithdrawChangeForm()
    if not form.validate_on_submit():
        flash(_("Le formulaire a expiré. Merci de recommencer."), "error")
        return private(redirect(url_for("requests.track", token=token)))
    pending = changes.pending_change(req)
    if pending is None:
        flash(_("Il n'y a pas de demande de modification en attente : rien n'est retiré."), "error")
        return private(redirect(url_for("requests.track", token=token)))
    try:
        changes.withdraw_change(pending)
        db.session.commit()
    except OperationError:
        db.session.rollback()
        flash(_("L'équipe vient de décider de cette demande de modification : elle ne peut plus être retirée."),
              "error")
    else:
        flash(_("Votre demande de modification est retirée : la demande reste comme elle était."), "success")
    return private(redirect(url_for("requests.track", token=token)))


# The operator inbox is a blueprint of this area too (guarded views, /operateur/ URLs).
blueprints = [bp, inbox_bp]
