"""Read-only questions about published visits that other areas ask (no business rule here)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from web.extensions import db
from web.tours.models import TourVersion, Visit


def upcoming_visits(where: Any, today: date) -> list[Visit]:
    """Scheduled visits from ``today`` on that match ``where``, in calendar order."""
    return list(db.session.execute(
        select(Visit).where(where, Visit.status == "scheduled", Visit.date >= today)
        .order_by(Visit.date, Visit.start, Visit.id)
    ).scalars())


def latest_versions(season_id: int | None = None, limit: int = 500) -> list[TourVersion]:
    """Tour versions, the newest first, of one season when ``season_id`` is given."""
    query = select(TourVersion).order_by(TourVersion.id.desc())
    if season_id is not None:
        query = query.where(TourVersion.season_id == season_id)
    return list(db.session.execute(query.limit(limit)).scalars())
