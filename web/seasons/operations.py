"""Seasons: creation with French public holidays as closed dates (an editable list)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from tourplan.calendar import local_today, public_holidays
from web.core.errors import NotFoundError, OperationError
from web.extensions import db
from web.seasons.models import DEFAULT_FREEZE_DAYS, DEFAULT_MOVE_COST, DEFAULT_REMINDER_DAYS, Season
from web.tours.models import Visit
from web.tours.queries import upcoming_visits

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


def holidays_between(start: date, end: date, department: str = "") -> list[str]:
    """French public holidays in [start, end] as ISO dates (with Alsace-Moselle's and overseas'
    own when ``department`` says so)."""
    return [d.isoformat() for d in public_holidays(department, start, end)]


def create_season(
    slug: str,
    name: str,
    start: date,
    end: date,
    *,
    weekdays: Iterable[int] = (1, 2, 3, 4, 5),
    closed_dates: Iterable[str] | None = None,
    department: str = "",
    timezone: str = "Europe/Paris",
    lock_slack_minutes: int = 30,
    freeze_days: int = DEFAULT_FREEZE_DAYS,
    move_cost: int = DEFAULT_MOVE_COST,
) -> Season:
    """A new season; ``closed_dates`` defaults to the public holidays of its horizon."""
    if not SLUG_RE.match(slug or ""):
        raise OperationError("l'identifiant ne contient que a-z, 0-9 et des tirets (60 au plus)", "slug")
    if find_season(slug, required=False) is not None:
        raise OperationError(f"une saison {slug!r} existe déjà", "slug")
    if end < start:
        raise OperationError(f"la saison finit ({end}) avant de commencer ({start})", "end")
    days = sorted(set(weekdays))
    if not days or any(d not in range(1, 8) for d in days):
        raise OperationError("les jours de service vont de 1 (lundi) à 7 (dimanche)", "weekdays")
    if lock_slack_minutes < 0:
        raise OperationError("la marge ne peut pas être négative", "lock_slack_minutes")
    check_stability(freeze_days, move_cost)
    closed = holidays_between(start, end, department) if closed_dates is None else sorted(set(closed_dates))
    for i, d in enumerate(closed):
        try:
            date.fromisoformat(d)
        except (TypeError, ValueError):
            raise OperationError(f"date invalide {d!r} (AAAA-MM-JJ)", f"closed_dates[{i}]") from None
    season = Season(
        slug=slug,
        name=name.strip() or slug,
        start=start,
        end=end,
        weekdays=days,
        closed_dates=closed,
        timezone=timezone,
        lock_slack_minutes=lock_slack_minutes,
        freeze_days=freeze_days,
        move_cost=move_cost,
        publication_serial=0,
        version_counter=0,
    )
    db.session.add(season)
    return season


#: Bounds of the re-planning settings: a freeze beyond a season's length means "freeze all";
#: a move cost beyond any priority means "never move a published visit".
MAX_FREEZE_DAYS = 366
MAX_MOVE_COST = 1000


def check_stability(freeze_days: int, move_cost: int) -> None:
    """Refuse re-planning settings out of bounds (French message naming the field)."""
    if not 0 <= freeze_days <= MAX_FREEZE_DAYS:
        raise OperationError(f"le gel va de 0 à {MAX_FREEZE_DAYS} jours", "freeze_days")
    if not 0 <= move_cost <= MAX_MOVE_COST:
        raise OperationError(f"le coût d'un déplacement va de 0 à {MAX_MOVE_COST} points", "move_cost")


def find_season(slug: str, *, required: bool = True) -> Season | None:
    season = db.session.execute(select(Season).where(Season.slug == slug)).scalar_one_or_none()
    if season is None and required:
        raise NotFoundError(f"aucune saison n'a l'identifiant {slug!r}", "season")
    return season


def lock_season(season_id: int) -> None:
    """Hold the season's row until the transaction ends (``SELECT ... FOR UPDATE``).

    The one lock order of the application: **the season row first**, then its requests and
    visits. A publication takes it (its compare-and-set on ``publication_serial``), and so
    does every status change of a request: they queue on this row instead of each holding
    a row the other wants (the deadlock of issue 9). Pending changes are not flushed here:
    a flush would lock their rows before the season's. SQLite locks the whole file on the
    first write, so there the statement is a plain read."""
    with db.session.no_autoflush:
        db.session.execute(select(Season.id).where(Season.id == season_id).with_for_update())


def check_season(start: date, end: date, weekdays: Iterable[int], closed: Iterable[str], timezone: str) -> None:
    if end < start:
        raise OperationError("la saison finit avant de commencer", "end")
    if (end - start).days > 2 * 366:
        raise OperationError("une saison dure deux ans au plus", "end")
    days = list(weekdays)
    if not days or any(d not in range(1, 8) for d in days):
        raise OperationError("choisissez au moins un jour de service", "weekdays")
    for d in closed:
        if not start.isoformat() <= d <= end.isoformat():
            raise OperationError(f"le {date.fromisoformat(d):%d/%m/%Y} est en dehors de la saison", "closed_dates")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise OperationError(f"fuseau horaire inconnu « {timezone} »", "timezone") from None


def save_season(
    season: Season | None,
    *,
    slug: str | None,
    name: str,
    start: date,
    end: date,
    weekdays: list[int],
    closed_dates: list[str],
    timezone: str,
    lock_slack_minutes: int,
    freeze_days: int = DEFAULT_FREEZE_DAYS,
    move_cost: int = DEFAULT_MOVE_COST,
    reminder_days: int = DEFAULT_REMINDER_DAYS,
) -> Season:
    """Create or update a season. The slug is fixed at creation (it names the season in commands)."""
    closed = sorted(set(closed_dates))
    check_season(start, end, weekdays, closed, timezone)
    if not 0 <= lock_slack_minutes <= 24 * 60:
        raise OperationError("la marge va de 0 à 1440 minutes", "lock_slack_minutes")
    check_stability(freeze_days, move_cost)
    if not 0 <= reminder_days <= 60:
        raise OperationError("le rappel va de 0 à 60 jours avant la visite", "reminder_days")
    if season is None:
        created = create_season(
            slug or "",
            name,
            start,
            end,
            weekdays=weekdays,
            closed_dates=closed,
            timezone=timezone,
            lock_slack_minutes=lock_slack_minutes,
            freeze_days=freeze_days,
            move_cost=move_cost,
        )
        created.reminder_days = reminder_days
        return created
    season.name = name.strip() or season.slug
    season.start, season.end = start, end
    season.weekdays = sorted(set(weekdays))
    season.closed_dates = closed
    season.timezone = timezone
    season.lock_slack_minutes = lock_slack_minutes
    season.freeze_days = freeze_days
    season.move_cost = move_cost
    season.reminder_days = reminder_days
    return season


# --------------------------------------------------------------------------- #
# Changes that touch published visits
# --------------------------------------------------------------------------- #


def season_visits_no_longer_served(
    season: Season, *, start: date, end: date, weekdays: Iterable[int], closed_dates: Iterable[str],
    today: date | None = None,
) -> list[Visit]:
    """Published visits still to come that the new settings of ``season`` would put on a
    day without service (closed, a weekday dropped, outside the season): the operator is
    asked to confirm, and the next re-plan moves them."""
    today = today or local_today()
    days, closed = set(weekdays), set(closed_dates)
    return [
        v for v in upcoming_visits(Visit.season_id == season.id, today)
        if not start <= v.date <= end or v.date.isoweekday() not in days or v.date.isoformat() in closed
    ]


def all_seasons(limit: int | None = None) -> list[Season]:
    """Every season, the latest first."""
    query = select(Season).order_by(Season.start.desc(), Season.id)
    return list(db.session.execute(query if limit is None else query.limit(limit)).scalars())


def open_seasons() -> list[Season]:
    """Seasons a commune can still ask for: those not over yet, soonest first."""
    return list(
        db.session.execute(
            select(Season).where(Season.end >= local_today()).order_by(Season.start, Season.id)
        ).scalars()
    )
