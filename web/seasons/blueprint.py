"""The season's setup page (horizon, service weekdays, closed dates with public holidays),
listed on the desk's "Camions et saisons" page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, request

from web.core.setup_pages import edited, page, setup_page, submit
from web.seasons.forms import SeasonForm
from web.seasons.models import DEFAULT_FREEZE_DAYS, DEFAULT_MOVE_COST, DEFAULT_REMINDER_DAYS, Season
from web.seasons.operations import holidays_between, save_season, season_visits_no_longer_served
from web.tours.models import Visit

bp = Blueprint("seasons", __name__, template_folder="templates", url_prefix="/operateur/parametres/saisons")


@setup_page(bp, "/nouvelle", "/<int:season_id>", "season_id")
def season(season_id: int | None) -> Any:
    existing = edited(Season, season_id)
    form = SeasonForm(obj=existing, creating=existing is None)
    if request.method == "GET" and existing is None:
        _new_season_defaults(form)
    if request.method == "POST" and form.add_holidays.data:
        _add_holidays(form)
        return page("seasons/season.html", form, 200, [], season=existing)

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

        return submit(form, save, "Saison « {name} » enregistrée.", "seasons.season", "season_id",
                       "seasons/season.html", affected=affected if existing else None, season=existing)
    return page("seasons/season.html", form, 200, [], season=existing)


def _new_season_defaults(form: SeasonForm) -> None:
    form.weekdays.data = [1, 2, 3, 4, 5]
    form.lock_slack_minutes.data = current_app.config.get("TOURPLAN_DEFAULT_LOCK_SLACK_MINUTES", 30)
    form.freeze_days.data = DEFAULT_FREEZE_DAYS
    form.move_cost.data = DEFAULT_MOVE_COST
    form.reminder_days.data = DEFAULT_REMINDER_DAYS


def _add_holidays(form: SeasonForm) -> None:
    """Fill in the public holidays of the horizon; nothing is saved until "Enregistrer"."""
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
