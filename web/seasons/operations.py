"""Seasons: creation with French public holidays as closed dates (an editable list)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from tourplan.calendar import public_holidays
from web.core.errors import NotFoundError, OperationError
from web.extensions import db
from web.seasons.models import DEFAULT_FREEZE_DAYS, DEFAULT_MOVE_COST, Season

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
