"""Read-only questions about published visits that other areas ask (no business rule here)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from web.extensions import db
from web.tours.models import Visit


def upcoming_visits(where: Any, today: date) -> list[Visit]:
    """Scheduled visits from ``today`` on that match ``where``, in calendar order."""
    return list(db.session.execute(
        select(Visit).where(where, Visit.status == "scheduled", Visit.date >= today)
        .order_by(Visit.date, Visit.start, Visit.id)
    ).scalars())
