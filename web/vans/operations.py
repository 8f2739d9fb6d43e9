"""Vans as the optimiser sees them."""

from __future__ import annotations

from typing import Any

from tourplan.problem import format_time
from web.vans.models import Van


def van_to_problem(van: Van) -> dict[str, Any]:
    """The van as a problem-format v1 ``vans[]`` entry (its id is the slug)."""
    data: dict[str, Any] = {
        "id": van.slug,
        "name": van.name,
        "depot": {"lat": van.depot_lat, "lon": van.depot_lon, "label": van.depot_label},
        "shift": {"start": format_time(van.shift_start), "end": format_time(van.shift_end)},
        "equipment": sorted(van.equipment or []),
        "unavailable_dates": sorted(van.days_off or []),
    }
    if van.break_minutes:
        data["break"] = {
            "earliest": format_time(van.break_earliest),
            "latest": format_time(van.break_latest),
            "minutes": van.break_minutes,
        }
    if van.max_drive_minutes is not None:
        data["max_drive_minutes"] = van.max_drive_minutes
    return data
