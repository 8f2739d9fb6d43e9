"""Fixed places of digital help, read from the ANCT list of France Services (its CSV format).

No Flask here. The file is the one data.gouv.fr publishes (« Liste des structures labellisées
France services »): one row per site with ``id_fs``, ``lib_fs``, ``adresse``, ``insee_com``,
``latitude``/``longitude``, the hours ``h_lundi`` … ``h_samedi``, ``itinerance`` and
``format_fs``/``format_fs_anct``. A mobile France Services (a bus, ``itinerance`` = Oui or
format « Mobile ») is not a fixed place: people cannot walk in on any day, so it is skipped
and counted, never used as a place that "covers" a commune.

Every bad row is reported as ``FILE line N: field …`` and the whole file is refused: a
half-imported list would make communes look farther from help than they are.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from tourplan.problem import ProblemError

REQUIRED_COLUMNS = ("id_fs", "lib_fs", "insee_com", "latitude", "longitude")
HOUR_COLUMNS = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")
_INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
#: France's extent, overseas included: a point outside it is a swapped or mistyped coordinate.
_LAT, _LON = (-22.0, 51.5), (-63.5, 56.0)
MAX_ERRORS = 20


@dataclass(frozen=True)
class PlaceRecord:
    source_id: str
    name: str
    insee: str
    lat: float
    lon: float
    address: str = ""
    kind: str = "France services"
    #: Weekday name (lundi…samedi) -> the hours as written, e.g. "09:00 - 12:00 / 14:00 - 17:00".
    hours: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class PlaceFile:
    places: tuple[PlaceRecord, ...]
    mobile: int  # rows skipped because the site is a bus, not a fixed place


def is_mobile(row: dict[str, str]) -> bool:
    """A bus or an itinerant site: ``itinerance`` Oui, or the ANCT format « Mobile »."""
    return (row.get("itinerance") or "").strip().lower() == "oui" or (
        (row.get("format_fs_anct") or "").strip().lower() == "mobile"
    )


def _coordinate(raw: str, bounds: tuple[float, float], what: str) -> float:
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"{what}: {raw[:30]!r} is not a number") from None
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{what}: {value:g} is outside France (latitude and longitude swapped?)")
    return value


def _place(row: dict[str, str]) -> PlaceRecord:
    """One row as a place; ValueError("field: why") when a value cannot be right."""
    for column in REQUIRED_COLUMNS:
        if not (row.get(column) or "").strip():
            raise ValueError(f"{column}: empty")
    insee = row["insee_com"].strip().upper()
    if not _INSEE.match(insee):
        raise ValueError(f"insee_com: {insee[:10]!r} is not an INSEE code (5 characters)")
    lat = _coordinate(row["latitude"], _LAT, "latitude")
    lon = _coordinate(row["longitude"], _LON, "longitude")
    address = " ".join(p.strip() for p in (row.get("adresse"), row.get("complement_adresse")) if p and p.strip())
    hours = {c[2:]: row[c].strip() for c in HOUR_COLUMNS if (row.get(c) or "").strip()}
    return PlaceRecord(
        source_id=row["id_fs"].strip()[:40], name=row["lib_fs"].strip()[:200], insee=insee, lat=lat, lon=lon,
        address=address[:500], kind="France services", hours=hours,
    )


def read_places(text: str, source: str) -> PlaceFile:
    """Every fixed place of the file; ProblemError listing the bad rows (``source line N: …``)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise ProblemError(f"{source} line 1: column(s) missing: {', '.join(missing)} "
                           "(expected the ANCT France services CSV: id_fs, lib_fs, insee_com, latitude, longitude…)")
    places: list[PlaceRecord] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    mobile = 0
    for row in reader:
        line = reader.line_num
        if is_mobile(row):
            mobile += 1
            continue
        try:
            place = _place(row)
        except ValueError as e:
            errors.append(f"{source} line {line}: {e}")
            continue
        if place.source_id in seen:
            errors.append(f"{source} line {line}: id_fs: {place.source_id!r} already on line {seen[place.source_id]}")
            continue
        seen[place.source_id] = line
        places.append(place)
    if errors:
        more = f"\n… and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
        raise ProblemError("\n".join(errors[:MAX_ERRORS]) + more)
    return PlaceFile(tuple(places), mobile)
