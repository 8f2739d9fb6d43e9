"""The published tour as open data: CSV and GeoJSON with the columns the data page documents."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from html import unescape
from typing import Any

from flask.testing import FlaskClient

from tests.public_data import Row, make_tour, next_weekday
from tourplan.calendar import local_today


def _published(make: Any) -> list[Any]:
    t = make_tour(make)
    day = next_weekday(local_today() + timedelta(days=3), 1)
    rows = [Row(t.requests["mende"], t.vans["nord"], day, 9 * 60 + 30, 11 * 60 + 30, 0),
            Row(t.requests["marvejols"], t.vans["sud"], day, 14 * 60, 15 * 60 + 30, 0)]
    return [day, *t.publish(rows)]


def test_tour_csv_and_geojson_hold_each_published_visit(client: FlaskClient, make: Any) -> None:
    day, mende, marvejols = _published(make)
    r = client.get("/donnees/tournee.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(x["id"], x["date"], x["debut"], x["fin"], x["code_insee"], x["commune"], x["statut"]) for x in rows] == [
        (str(mende.id), day.isoformat(), "09:30", "11:30", "48095", "Mende", "prevue"),
        (str(marvejols.id), day.isoformat(), "14:00", "15:30", "48092", "Marvejols", "prevue"),
    ]
    assert rows[1]["activite"] == "Fablab mobile" and rows[1]["camion"] == "Camion Sud"
    geo = client.get("/donnees/tournee.geojson").get_json()
    assert "Licence Ouverte" in geo["licence"]
    assert geo["features"][0]["geometry"] == {"type": "Point", "coordinates": [3.5006, 44.5181]}
    assert geo["features"][0]["properties"]["commune"] == "Mende"


def test_data_page_links_both_files_and_documents_every_column(client: FlaskClient, make: Any) -> None:
    r = client.get("/donnees")
    html = unescape(r.get_data(as_text=True))
    assert '/donnees/tournee.csv' in html and '/donnees/tournee.geojson' in html
    header = client.get("/donnees/tournee.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()[0].split(",")
    for column in header:
        assert f"<code>{column}</code>" in html
    assert "Licence Ouverte / Open Licence version 2.0" in html
