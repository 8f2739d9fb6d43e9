"""The published tour as open data (Licence Ouverte 2.0): CSV and GeoJSON, one row or feature
per published visit, columns documented on the data page (:data:`COLUMNS`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from tourplan.problem import format_time
from web.core.menu import N_
from web.public.operations import PublicVisit

#: (column, meaning) in file order; the data page lists them (translated there).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", N_("identifiant stable de la visite (le même dans les calendriers)")),
    ("date", N_("jour de la visite, AAAA-MM-JJ")),
    ("debut", N_("heure d'arrivée du camion, HH:MM (heure de Paris)")),
    ("fin", N_("heure de départ, HH:MM")),
    ("statut", N_("prevue ou annulee")),
    ("code_insee", N_("code INSEE de la commune")),
    ("commune", N_("nom de la commune")),
    ("lieu", N_("où le camion stationne")),
    ("adresse", N_("adresse du lieu")),
    ("latitude", N_("WGS 84, degrés décimaux")),
    ("longitude", N_("WGS 84, degrés décimaux")),
    ("activite", N_("ce que le camion propose")),
    ("camion", N_("nom du camion")),
    ("saison", N_("saison de la tournée")),
    ("revision", N_("numéro de révision : il augmente à chaque changement de la visite")),
)
LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"


def _row(v: PublicVisit) -> dict[str, Any]:
    return {
        "id": v.id, "date": v.date.isoformat(), "debut": format_time(v.start), "fin": format_time(v.end),
        "statut": "annulee" if v.cancelled else "prevue", "code_insee": v.commune_insee, "commune": v.commune_name,
        "lieu": v.place_label, "adresse": v.place_address, "latitude": v.lat, "longitude": v.lon,
        "activite": v.activity_name, "camion": v.van_name, "saison": v.season_name, "revision": v.revision,
    }


def tour_csv(visits: Iterable[PublicVisit]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[c for c, _ in COLUMNS], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(_row(v) for v in sorted(visits, key=lambda v: (v.date, v.start, v.id)))
    # A BOM so that a spreadsheet opened by double-click reads the accents right.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def tour_geojson(visits: Iterable[PublicVisit], source_url: str) -> bytes:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [v.lon, v.lat]},
                 "properties": _row(v)} for v in sorted(visits, key=lambda v: (v.date, v.start, v.id))]
    body = {"type": "FeatureCollection", "licence": LICENCE, "source": source_url, "features": features}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
