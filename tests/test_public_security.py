"""Hostile text in every field people or operators can type never comes out
live: not in pages, not in map popups, not in feeds."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.public_data import Row, Tour, activity, next_weekday
from tourplan.calendar import local_today
from web.extensions import db

EVIL = "<script>alert('x')</script>\"'><img src=x onerror=alert(2)>&amp;${alert(3)}`"
SOON = next_weekday(local_today() + timedelta(days=1), 2)


def evil(field: str) -> str:
    return f"{field} {EVIL}"


@pytest.fixture
def hostile(app: Flask, make: Any) -> dict[str, Any]:
    today = local_today()
    season = make.season("hostile", start=today - timedelta(days=10), end=today + timedelta(days=60))
    season.name = evil("season")
    commune = make.commune("48095", name=evil("commune"), townhall_address=evil("townhall"),
                           accessibility=evil("accessibility"), email="mairie@example.org\"><script>x</script>",
                           phone=evil("phone"), website="javascript:alert(1)",
                           opening_hours={"1": [[540, 720]]})
    van = make.van("nord", name=evil("van"), depot_label=evil("depot"))
    act = activity("evil", name=evil("activity"), description=evil("description"),
                   what_to_bring=evil("bring"), audience=evil("audience"))
    db.session.flush()
    town_hall = make.request(season, commune, label=evil("label"), activity=act, structure_name=evil("structure"),
                             contact_name=evil("contact"), notes=evil("notes"), phone="0466000000")
    elsewhere = make.request(season, commune, label=evil("label2"), activity=None, venue_label=evil("venue"),
                             venue_address=evil("venue address"), venue_lat=44.52, venue_lon=3.49,
                             duration_minutes=60)
    db.session.commit()
    tour = Tour(season=season)
    visits = tour.publish([Row(town_hall, van, SOON, 600, 720), Row(elsewhere, van, SOON, 840, 900)])
    return {"ids": [v.id for v in visits], "commune": commune}


class LiveParts(HTMLParser):
    """Everything of a page a browser would run or treat as markup from data."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.bad: list[str] = []
        self.in_script = False
        self.script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if tag == "img":
            self.bad.append(f"img {d}")
        if tag == "script":
            self.scripts.append(d)
            self.in_script = True
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"{tag} {name}={value}")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.bad.append(f"{tag} {name}={value}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.script_text.append(data)


def assert_inert(html: str, where: str, nonce: str | None = None) -> None:
    parts = LiveParts()
    parts.feed(html)
    assert parts.bad == [], where
    for attrs in parts.scripts:
        if nonce is None:
            # Public pages run no script at all.
            raise AssertionError(f"{where}: unexpected script {attrs}")
        assert attrs.get("nonce") == nonce, where
    # Inside scripts, data is JSON with <, >, & and ' escaped: it cannot close the
    # script nor open a tag (the browser test checks that no alert ever fires).
    code = "".join(parts.script_text)
    assert "<script" not in code and "<img" not in code and "</" not in code, where
    # The hostile text is visible as text: escaped, never interpreted.
    assert "&lt;script&gt;" in html or "\\u003cscript" in html or "\\u0026lt;script" in html, where


def test_pages_show_hostile_text_as_text(client: FlaskClient, hostile: dict[str, Any]) -> None:
    a, b = hostile["ids"]
    urls = ["/", "/calendrier", f"/calendrier?mois={SOON:%Y-%m}", f"/calendrier?vue=liste&mois={SOON:%Y-%m}", "/carte",
            f"/carte?jour={SOON}", "/communes/48095", f"/visites/{a}", f"/visites/{b}",
            "/recherche?q=" + EVIL, "/recherche?q=commune"]
    for url in urls:
        r = client.get(url, follow_redirects=True)  # a search finding one commune leads to its page
        assert r.status_code == 200, url
        html = r.get_data(as_text=True)
        assert_inert(html, url)
    # What only operators may see is not shown to the public at all.
    everything = "".join(client.get(u, follow_redirects=True).get_data(as_text=True) for u in urls)
    for private in ("notes ", "contact ", "structure ", "0466000000"):
        assert private not in everything, private


def test_map_popups_carry_hostile_text_escaped(client: FlaskClient, hostile: dict[str, Any]) -> None:
    for url in ("/carte/cadre", f"/carte/cadre?jour={SOON}"):
        r = client.get(url)
        nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
        html = r.get_data(as_text=True)
        assert_inert(html, url, nonce=nonce)
        popups = [json.loads(m) for m in re.findall(r"\.bindPopup\((\".*?\")\);", html)]
        assert popups
        for popup in popups:
            # Once Leaflet sets it as innerHTML, only our own tags exist.
            assert set(re.findall(r"<(\w+)", popup)) <= {"strong", "br", "a"}, popup
            assert "&lt;script&gt;" in popup


def test_feeds_carry_hostile_text_as_plain_values(client: FlaskClient, hostile: dict[str, Any]) -> None:
    a, b = hostile["ids"]
    for url in ("/calendar.ics", "/communes/48095.ics", "/vans/nord.ics", f"/visites/{a}.ics"):
        data = client.get(url).data
        cal = icalendar.Calendar.from_ical(data)
        events = cal.walk("VEVENT")
        # No property or component was injected: only our events, each confirmed.
        assert {str(e["UID"]) for e in events} <= {f"visit-{a}@localhost", f"visit-{b}@localhost"}, url
        for ev in events:
            assert ev["STATUS"] == "CONFIRMED"
            assert EVIL in str(ev["SUMMARY"]) and EVIL in str(ev["LOCATION"])
    [first] = [e for e in icalendar.Calendar.from_ical(client.get("/calendar.ics").data).walk("VEVENT")
               if str(e["UID"]) == f"visit-{a}@localhost"]
    assert str(first["SUMMARY"]) == f"{evil('activity')} – {evil('commune')}"
    assert evil("bring") in str(first["DESCRIPTION"])


def test_hostile_commune_name_in_feed_headers(client: FlaskClient, hostile: dict[str, Any]) -> None:
    r = client.get("/communes/48095.ics")
    assert r.headers["Content-Disposition"] == 'inline; filename="commune-48095.ics"'
    cal = icalendar.Calendar.from_ical(r.data)
    assert "commune" in str(cal["X-WR-CALNAME"])
