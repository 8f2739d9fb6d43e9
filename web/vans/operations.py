"""Vans as the optimiser sees them, and as the operator edits them (the setup page). The
checks mirror the schema's constraints and problem-format v1, with French messages naming
the field, so a bad value is refused here with a sentence and never reaches the database
as a 500."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select

from tourplan.calendar import local_today
from tourplan.problem import format_time
from tourplan.territory import french_area
from web.core.errors import OperationError
from web.extensions import db
from web.seasons.operations import SLUG_RE
from web.tours.models import Visit
from web.tours.queries import upcoming_visits
from web.vans.models import Van

VAN_FIELDS = (
    "name",
    "depot_label",
    "depot_lat",
    "depot_lon",
    "shift_start",
    "shift_end",
    "break_earliest",
    "break_latest",
    "break_minutes",
    "max_drive_minutes",
    "equipment",
    "days_off",
)
EQUIPMENT_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


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


def check_van(values: dict[str, Any]) -> None:
    """Raise OperationError(message, field) for the first rule the values break."""
    if not values.get("name"):
        raise OperationError("le nom est obligatoire", "name")
    _check_depot(values)
    _check_day(values)
    for item in values.get("equipment", []):
        if not EQUIPMENT_RE.match(item):
            raise OperationError(f"« {item} » : un matériel s'écrit en minuscules, chiffres et tirets", "equipment")


def _check_depot(values: dict[str, Any]) -> None:
    if not -90 <= values["depot_lat"] <= 90:
        raise OperationError("la latitude va de -90 à 90", "depot_lat")
    if not -180 <= values["depot_lon"] <= 180:
        raise OperationError("la longitude va de -180 à 180", "depot_lon")
    problem = depot_problem(values["depot_lat"], values["depot_lon"])
    if problem:
        raise OperationError(problem, "depot_lat")


def _check_day(values: dict[str, Any]) -> None:
    """The working day: shift, break, driving limit."""
    if not 0 <= values["shift_start"] < values["shift_end"] <= 24 * 60:
        raise OperationError("la journée finit avant de commencer", "shift_end")
    if values["break_minutes"] < 0:
        raise OperationError("la pause ne peut pas être négative", "break_minutes")
    if values["break_latest"] - values["break_earliest"] < values["break_minutes"]:
        raise OperationError(
            f"une pause de {values['break_minutes']} minutes ne tient pas dans cette fenêtre", "break_latest"
        )
    if values.get("max_drive_minutes") is not None and values["max_drive_minutes"] < 0:
        raise OperationError("la limite de conduite ne peut pas être négative", "max_drive_minutes")


def depot_problem(lat: float, lon: float) -> str | None:
    """Why a depot at (lat, lon) cannot be right, with a hint, or None: the optimiser would
    otherwise plan hours of driving from the Indian Ocean without a word."""
    if french_area(lat, lon) is not None:
        return None
    if french_area(lon, lat) is not None:
        return (f"ce point ({lat:g} ; {lon:g}) est hors de France, mais inversé il tombe en {french_area(lon, lat)} : "
                "la latitude et la longitude semblent échangées (la latitude vient d'abord, "
                "par exemple 44,5181 puis 3,5006 pour Mende)")
    return (f"ce point ({lat:g} ; {lon:g}) est hors de France : vérifiez les coordonnées du dépôt "
            "(en degrés décimaux, par exemple 44,5181 et 3,5006 pour Mende)")


def slug_from_name(name: str) -> str:
    """The van's identifier from its name: "Tiers-Truck n° 2" gives "tiers-truck-n-2";
    a name already taken gets "-2", "-3"... (the identifier names its calendar feed)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:50].strip("-") or "camion"
    taken = set(db.session.execute(select(Van.slug).where(Van.slug.like(f"{base}%"))).scalars())
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def save_van(van: Van | None, slug: str | None, values: dict[str, Any]) -> Van:
    """Create (``van`` None) or update a van. A new van's slug is ``slug`` when given (the
    demo, tests), else made from its name; it never changes once created: it is the van's
    id in problem files and in its calendar feed's address."""
    unknown = set(values) - set(VAN_FIELDS)
    if unknown:
        raise OperationError(f"champ(s) inconnu(s) : {', '.join(sorted(unknown))}")
    check_van(values)
    if van is None:
        if slug is None:
            slug = slug_from_name(str(values.get("name") or ""))
        if not slug or not SLUG_RE.match(slug):
            raise OperationError("l'identifiant ne contient que a-z, 0-9 et des tirets (60 au plus)", "slug")
        if db.session.execute(select(Van).where(Van.slug == slug)).scalar_one_or_none() is not None:
            raise OperationError(f"un camion « {slug} » existe déjà", "slug")
        van = Van(slug=slug)
        db.session.add(van)
    values = {
        **values,
        "days_off": sorted(set(values.get("days_off", []))),
        "equipment": sorted(set(values.get("equipment", []))),
    }
    for key, value in values.items():
        setattr(van, key, value)
    return van


def van_visits_on_days_off(van: Van, days_off: Iterable[str], today: date | None = None) -> list[Visit]:
    """Published visits still to come of ``van`` on one of its (new) days off."""
    off = set(days_off)
    return [v for v in upcoming_visits(Visit.van_id == van.id, today or local_today()) if v.date.isoformat() in off]


def all_vans(*, by_name: bool = False) -> list[Van]:
    """Every van, by id (the order colours are given in) or by name (the setup list)."""
    order = (Van.name, Van.id) if by_name else (Van.id,)
    return list(db.session.execute(select(Van).order_by(*order)).scalars())
