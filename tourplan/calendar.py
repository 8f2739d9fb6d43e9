"""Calendar rules shared by the optimiser's callers, the site and the desk."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

#: The service's own time zone: a commune's "today" starts at midnight in France,
#: up to two hours before the server's UTC clock says so.
SERVICE_TIMEZONE = "Europe/Paris"


def local_today(timezone: str = SERVICE_TIMEZONE) -> date:
    """Today's date where the van drives, whatever the server's clock zone."""
    return datetime.now(ZoneInfo(timezone)).date()
