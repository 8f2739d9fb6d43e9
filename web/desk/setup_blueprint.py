"""Setup pages of the operator desk: vans (depot, shift, break, driving limit, equipment,
days off) and seasons (horizon, service weekdays, closed dates with public holidays).

Registered by :mod:`web.auth.blueprint` (the app factory only registers each area's
``blueprint`` module, and ``web/desk/blueprint.py`` is the planning desk's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from web.auth.decorators import operator_required
from web.auth.forms import csrf_failed
from web.core.errors import OperationError
from web.desk.setup_forms import SeasonForm, VanForm
from web.desk.setup_operations import (
    confirmation_token,
    save_season,
    save_van,
    season_visits_no_longer_served,
    van_visits_on_days_off,
)
from web.extensions import db
from web.seasons.models import DEFAULT_FREEZE_DAYS, DEFAULT_MOVE_COST, DEFAULT_REMINDER_DAYS, Season
from web.seasons.operations import holidays_between
from web.tours.models import Visit
from web.vans.models import Van

bp = Blueprint("setup", __name__, template_folder="setup_templates", url_prefix="/operateur/parametres")

EXPIRED = "Le formulaire a expiré. Vérifiez les valeurs et renvoyez-le."


@bp.record_once
def _menu(state: Any) -> None:
    from web.auth.blueprint import register_desk_link

    register_desk_link(state.app, "setup.index", "Camions et saisons", 20)


@bp.route("/")
@operator_required
def index() -> Any:
    vans = list(db.session.execute(select(Van).order_by(Van.name, Van.id)).scalars())
    seasons = list(db.session.execute(select(Season).order_by(Season.start.desc(), Season.id)).scalars())
    return render_template("setup/index.html", vans=vans, seasons=seasons)


def _page(template: str, form: Any, status: int, errors: list[tuple[str, str]], **context: Any) -> Any:
    page = render_template(template, form=form, errors=errors + form.error_items(), **context)
    return current_app.make_response((page, status))


#: Name of the button that confirms a change touching published visits.
CONFIRM = "confirmer"


def _submit(form: Any, save: Callable[[], Any], saved_message: str, endpoint: str, id_arg: str,
            template: str, affected: Callable[[], list[Visit]] | None = None, **context: Any) -> Any:
    """Validate a posted setup form, save it in one transaction and go back to its page.

    A refusal from the operations layer is shown next to the field it names; nothing
    is stored then. When ``affected`` lists published visits the change would put on a
    day without service, nothing is saved either until the operator confirms that very
    list (a closed day is a change of the public tour, never a silent one).
    """
    errors: list[tuple[str, str]] = []
    if form.validate_on_submit():
        touched = affected() if affected is not None else []
        token = confirmation_token(touched)
        if touched and request.form.get(CONFIRM) != token:
            return _page(template, form, 200, errors, affected=touched, confirm_token=token, **context)
        try:
            saved = save()
            db.session.commit()
        except OperationError as e:
            db.session.rollback()
            if not form.attach(e.where, e.message):
                errors.append(("", e.message))
            return _page(template, form, 422, errors, **context)
        flash(saved_message.format(name=saved.name), "success")
        if touched:
            flash(f"{len(touched)} visite(s) publiée(s) tombent sur un jour sans service : la prochaine "
                  "planification les déplacera (elles ne sont pas annulées). Relisez le brouillon puis "
                  "publiez-le pour prévenir les communes.", "info")
        return redirect(url_for(endpoint, **{id_arg: saved.id}))
    if csrf_failed(form):
        errors.append(("", EXPIRED))
        return _page(template, form, 400, errors, **context)
    return _page(template, form, 422, errors, **context)


@bp.route("/camions/nouveau", methods=["GET", "POST"], defaults={"van_id": None})
@bp.route("/camions/<int:van_id>", methods=["GET", "POST"])
@operator_required
def van(van_id: int | None) -> Any:
    existing = None
    if van_id is not None:
        existing = db.session.get(Van, van_id)
        if existing is None:
            abort(404)
    form = VanForm(obj=existing, creating=existing is None)
    if request.method == "GET" and existing is not None:
        form.show_equipment(list(existing.equipment or []))
    if request.method == "POST":
        return _submit(
            form, lambda: save_van(existing, None, form.van_values()),
            "Camion « {name} » enregistré.", "setup.van", "van_id", "setup/van.html", van=existing,
            affected=(lambda: van_visits_on_days_off(existing, form.days_off.dates)) if existing else None,
        )
    return _page("setup/van.html", form, 200, [], van=existing)


@bp.route("/saisons/nouvelle", methods=["GET", "POST"], defaults={"season_id": None})
@bp.route("/saisons/<int:season_id>", methods=["GET", "POST"])
@operator_required
def season(season_id: int | None) -> Any:
    existing = None
    if season_id is not None:
        existing = db.session.get(Season, season_id)
        if existing is None:
            abort(404)
    form = SeasonForm(obj=existing, creating=existing is None)
    if request.method == "GET" and existing is None:
        form.weekdays.data = [1, 2, 3, 4, 5]
        form.lock_slack_minutes.data = current_app.config.get("TOURPLAN_DEFAULT_LOCK_SLACK_MINUTES", 30)
        form.freeze_days.data = DEFAULT_FREEZE_DAYS
        form.move_cost.data = DEFAULT_MOVE_COST
        form.reminder_days.data = DEFAULT_REMINDER_DAYS
    if request.method == "POST" and form.add_holidays.data:
        # Fill in the public holidays of the horizon; nothing is saved until "Enregistrer".
        form.validate()
        start, end = form.start.data, form.end.data
        messages: list[str] = []
        if form.closed_dates.line_errors:
            messages = [e for e in form.closed_dates.errors if e]
        elif start and end and start <= end and not form.department.errors:
            added = holidays_between(start, end, (form.department.data or "").upper())
            form.closed_dates.set_dates(sorted(set(form.closed_dates.dates) | set(added)))
            flash(
                f"{len(added)} jour(s) férié(s) dans la période, ajoutés à la liste : vérifiez puis enregistrez.",
                "info",
            )
        else:
            messages = ["Indiquez d'abord un premier et un dernier jour valides (et le département s'il y a lieu)."]
        # Only the dates matter for this button; the other fields are checked on saving.
        for f in form:
            f.errors = []
        form.closed_dates.errors = messages
        return _page("setup/season.html", form, 200, [], season=existing)

    def save() -> Season:
        closed = form.closed_dates.dates
        if existing is None and not (form.closed_dates.data or "").strip():
            # A new season with no closed dates given gets the public holidays of its horizon.
            closed = holidays_between(form.start.data, form.end.data, (form.department.data or "").upper())
        return save_season(
            existing,
            slug=form.slug.data if existing is None else None,
            name=form.name.data,
            start=form.start.data,
            end=form.end.data,
            weekdays=sorted(set(form.weekdays.data)),
            closed_dates=closed,
            timezone=form.timezone.data,
            lock_slack_minutes=form.lock_slack_minutes.data,
            freeze_days=form.freeze_days.data,
            move_cost=form.move_cost.data,
            reminder_days=form.reminder_days.data,
        )

    if request.method == "POST":
        def affected() -> list[Visit]:
            return season_visits_no_longer_served(
                existing, start=form.start.data, end=form.end.data, weekdays=form.weekdays.data,
                closed_dates=form.closed_dates.dates)

        return _submit(form, save, "Saison « {name} » enregistrée.", "setup.season", "season_id",
                       "setup/season.html", affected=affected if existing else None, season=existing)
    return _page("setup/season.html", form, 200, [], season=existing)
