"""Fixed places of digital help: the France Services import and the places the operator
enters. Operations: they add and flush, the CLI command or the view commits."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tourplan.places import PlaceFile
from tourplan.territory import french_area
from web.core.errors import OperationError
from web.core.imports import ImportCounts
from web.coverage.models import FixedPlace
from web.extensions import db

_INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
PLACE_KINDS = ("Médiathèque", "Espace public numérique (EPN)", "Tiers-lieu", "Mairie équipée", "Autre")


@dataclass
class PlaceImport(ImportCounts):
    mobile: int = 0  # France Services buses, left out: they are not fixed places

    def summary(self) -> str:
        return (f"{self.added} fixed place(s) added, {self.updated} updated; "
                f"{self.mobile} mobile France Services (bus) left out: they are not fixed places")


def import_places(parsed: PlaceFile) -> PlaceImport:
    """Insert or update the France Services sites of ``parsed`` (matched on ``id_fs``); a
    site missing from the file is kept: a file of one département must not erase the others."""
    existing = {p.source_id: p for p in db.session.execute(
        select(FixedPlace).where(FixedPlace.source == "france-services")).scalars()}
    result = PlaceImport(mobile=parsed.mobile)
    for rec in parsed.places:
        values = {"name": rec.name, "kind": rec.kind, "address": rec.address, "commune_insee": rec.insee,
                  "lat": rec.lat, "lon": rec.lon, "hours": dict(rec.hours)}
        row = existing.get(rec.source_id)
        if row is None:
            result.add(FixedPlace(source="france-services", source_id=rec.source_id, **values))
        else:
            result.update(row, values)
    db.session.flush()
    return result


def check_place(values: dict[str, Any]) -> None:
    """OperationError(message, field) for the first value that cannot be right."""
    if not (values.get("name") or "").strip():
        raise OperationError("indiquez le nom du lieu", "name")
    insee = values.get("commune_insee") or ""
    if insee and not _INSEE.match(insee):
        raise OperationError("le code INSEE a 5 caractères, par exemple 48095 pour Mende", "commune_insee")
    lat, lon = values.get("lat"), values.get("lon")
    if not isinstance(lat, float) or not -90 <= lat <= 90:
        raise OperationError("la latitude va de -90 à 90", "lat")
    if not isinstance(lon, float) or not -180 <= lon <= 180:
        raise OperationError("la longitude va de -180 à 180", "lon")
    if french_area(lat, lon) is None:
        raise OperationError(f"ce point ({lat:g} ; {lon:g}) est hors de France : vérifiez les coordonnées "
                             "(la latitude vient d'abord, par exemple 44,5181 puis 3,5006 pour Mende)", "lat")


def entered_here(place: FixedPlace) -> bool:
    """A place the operator entered, so edited and deleted here; France Services sites come
    from the ANCT list and are not edited by hand (the next import would undo it)."""
    return place.source == "operator"


def save_place(place: FixedPlace | None, values: dict[str, Any]) -> FixedPlace:
    """Create (``place`` None) or update a place the operator entered; France Services sites
    come from the ANCT list and are not edited by hand (the next import would undo it)."""
    check_place(values)
    if place is None:
        place = FixedPlace(source="operator", source_id=secrets.token_hex(8))
        db.session.add(place)
    elif not entered_here(place):
        raise OperationError("ce lieu vient de la liste France services : il se met à jour par l'import")
    for key in ("name", "kind", "address", "commune_insee", "lat", "lon"):
        setattr(place, key, values.get(key) if key in ("lat", "lon") else (values.get(key) or ""))
    db.session.flush()
    return place


def delete_place(place: FixedPlace) -> None:
    if not entered_here(place):
        raise OperationError("ce lieu vient de la liste France services : il se met à jour par l'import")
    db.session.delete(place)
    db.session.flush()


def all_places() -> list[FixedPlace]:
    return list(db.session.execute(select(FixedPlace).order_by(FixedPlace.source.desc(), FixedPlace.name)).scalars())
