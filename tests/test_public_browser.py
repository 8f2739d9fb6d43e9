"""Public pages in a real browser (Debian's Chromium driven by Playwright):
axe-core finds no accessibility violation, the map works under its CSP with
local assets only, the keyboard reaches everything, hostile text never runs.

Collected only where Chromium is installed (CI installs it: ``apt-get install
-y chromium``); browsers are never downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import HAVE_CHROMIUM, axe_violations, live_server, new_page
from tests.public_data import Row, next_weekday, published_tour
from tourplan.calendar import local_today

if TYPE_CHECKING:
    from playwright.sync_api import Browser

TODAY = local_today()
SOON = next_weekday(TODAY + timedelta(days=1), 1)
PAST = next_weekday(TODAY - timedelta(days=20), 1)
LATER = next_weekday(TODAY + timedelta(days=9), 3)

if HAVE_CHROMIUM:
    @pytest.fixture
    def site(app: Any, make: Any) -> Iterator[dict[str, Any]]:
        tour = published_tour(make, [
            ("mende", "nord", PAST, 570, 690, 0), ("mende", "nord", SOON, 570, 690, 1),
            ("mende", "nord", LATER, 840, 960, 2), ("marvejols", "sud", SOON, 840, 930, 0),
        ])
        # The LATER visit is cancelled: its marking is checked too.
        tour["tour"].publish([r for r in tour["rows"] if r.day != LATER])
        make.commune("48017", name="Badaroux", lat=44.538, lon=3.547)  # no visit: points to its neighbours'
        make.db.session.commit()
        with live_server(app) as url:
            yield {"url": url, "ids": tour["ids"]}

    def public_urls(ids: list[int]) -> list[str]:
        past, soon, later, marv = ids
        return [
            "/", "/recherche?q=m", "/calendrier", f"/calendrier?mois={LATER:%Y-%m}",
            f"/calendrier?vue=liste&mois={PAST:%Y-%m}",
            "/calendrier?vue=liste&commune=48092&van=sud&activite=fablab", "/carte", f"/carte?jour={SOON}",
            "/carte/cadre", f"/carte/cadre?jour={SOON}", "/communes/48095", "/communes/48092",
            "/communes/48017", f"/visites/{soon}", f"/visites/{later}", f"/visites/{past}", "/accessibilite",
            "/donnees", "/mentions-legales",
            "/page-qui-n-existe-pas",
        ]

    def test_axe_finds_no_violation_on_any_public_page(browser: Browser, site: dict[str, Any]) -> None:
        page, problems = new_page(browser, bypass_csp=True)
        found = {}
        for lang in ("fr", "en"):
            page.goto(site["url"] + f"/langue/{lang}")
            for url in public_urls(site["ids"]):
                page.goto(site["url"] + url)
                violations = axe_violations(page)
                if violations:
                    found[f"{lang} {url}"] = violations
        assert found == {}
        # The only errors allowed are the 404 of the missing page and blocked map tiles.
        unexpected = [p for p in problems if "404" not in p and "ERR_FAILED" not in p]
        assert unexpected == []

    def test_map_runs_under_its_policy_with_local_assets(browser: Browser, site: dict[str, Any]) -> None:
        outside: list[tuple[str, str | None]] = []
        page, problems = new_page(browser, outside=outside)
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(site["url"] + "/carte")
        frame = page.frame_locator("iframe.map-frame")
        markers = frame.locator(".leaflet-marker-icon")
        markers.first.wait_for(state="visible", timeout=10_000)
        assert markers.count() == 2  # Mende and Marvejols
        assert frame.locator(".leaflet-control-attribution").inner_text().count("OpenStreetMap") == 1
        # Keyboard: a marker takes the focus and Enter opens its popup.
        markers.first.focus()
        page.keyboard.press("Enter")
        popup = frame.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=5_000)
        assert "Mairie de" in popup.inner_text()
        csp = [p for p in problems if "Content Security Policy" in p or "Refused" in p]
        assert csp == []
        scripts = [u for u in requested if u.endswith(".js")]
        assert scripts and all(u.startswith(site["url"] + "/static/vendor/") for u in scripts)
        # Only map tiles leave the site, and they carry our origin as Referer
        # (OpenStreetMap's tile servers refuse requests without one).
        assert outside and all(u.startswith("https://tile.openstreetmap.org/") for u, _ in outside)
        assert {ref for _, ref in outside} == {site["url"] + "/"}

    def test_map_of_a_day_draws_the_routes(browser: Browser, site: dict[str, Any]) -> None:
        page, problems = new_page(browser)
        page.goto(site["url"] + f"/carte/cadre?jour={SOON}")
        page.locator(".leaflet-marker-icon").first.wait_for(state="visible", timeout=10_000)
        assert page.locator("path.leaflet-interactive").count() == 2  # one line per van
        assert [p for p in problems if "Refused" in p] == []

    def test_keyboard_skip_link_is_visible_and_moves_focus(browser: Browser, site: dict[str, Any]) -> None:
        page, _ = new_page(browser)
        page.goto(site["url"] + "/calendrier")
        page.keyboard.press("Tab")
        focused = page.evaluate("() => [document.activeElement.className, document.activeElement.hash]")
        assert focused == ["skip-link", "#contenu"]
        box = page.locator(".skip-link").bounding_box()
        assert box is not None and box["y"] >= 0
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"  # focus is visible
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "contenu"

    def test_hostile_text_never_runs_in_the_browser(browser: Browser, app: Any, make: Any) -> None:
        from tests.public_data import Tour, activity
        from web.extensions import db

        evil = "<script>alert('x')</script>\"'><img src=x onerror=alert(2)>${alert(3)}`"
        season = make.season("x", start=TODAY - timedelta(days=5), end=TODAY + timedelta(days=40))
        commune = make.commune("48095", name="Mende " + evil, townhall_address=evil, accessibility=evil)
        van = make.van("nord", name=evil)
        act = activity("evil", name=evil, description=evil, what_to_bring=evil, audience=evil)
        db.session.flush()
        req = make.request(season, commune, label=evil, activity=act, venue_label=evil, venue_address=evil,
                           venue_lat=44.52, venue_lon=3.49)
        db.session.commit()
        [visit] = Tour(season=season).publish([Row(req, van, SOON, 600, 720)])
        with live_server(app) as base:
            page, problems = new_page(browser)
            for url in ("/", "/calendrier", "/calendrier?vue=liste", f"/carte?jour={SOON}", "/carte",
                        "/communes/48095", f"/visites/{visit.id}", "/recherche?q=mende"):
                page.goto(base + url)
            page.goto(base + "/carte/cadre")
            marker = page.locator(".leaflet-marker-icon").first
            marker.wait_for(state="visible", timeout=10_000)
            marker.click()
            page.locator(".leaflet-popup-content").wait_for(state="visible", timeout=5_000)
            assert "<script>alert('x')</script>" in page.locator(".leaflet-popup-content").inner_text()
            assert [p for p in problems if p.startswith("dialog")] == []
