"""Calendar rules shared by the optimiser's callers, the site and the desk."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import holidays

#: The service's own time zone: a commune's "today" starts at midnight in France,
#: up to two hours before the server's UTC clock says so.
SERVICE_TIMEZONE = "Europe/Paris"


def local_today(timezone: str = SERVICE_TIMEZONE) -> date:
    """Today's date where the van drives, whatever the server's clock zone."""
    return datetime.now(ZoneInfo(timezone)).date()


# Alsace and Moselle keep two more public holidays; overseas départements have their own.
_HOLIDAY_SUBDIVISIONS = {"57": "57", "67": "6AE", "68": "6AE", "971": "971", "972": "972", "973": "973",
                         "974": "974", "976": "976"}


def public_holidays(department: str, first: date, last: date) -> list[date]:
    """French public holidays between two dates (both included), with the département's own."""
    subdiv = _HOLIDAY_SUBDIVISIONS.get(department)
    cal = holidays.country_holidays("FR", subdiv=subdiv, years=range(first.year, last.year + 1))
    return sorted(d for d in cal if first <= d <= last)
