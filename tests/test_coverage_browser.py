"""The coverage pages in Chromium: axe-clean, and shown at 320 px without a horizontal scroll
(the wide table scrolls in its own focusable region). Collected only where Chromium is installed."""

from __future__ import annotations

from collections.abc import Iterator
from pprint import pformat
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import HAVE_CHROMIUM, axe_violations, live_server, log_in, new_page
from tests.coverage_helpers import TODAY, small_territory
from tests.desk_helpers import operator

if TYPE_CHECKING:
    from playwright.sync_api import Browser

WIDTH = 320

if HAVE_CHROMIUM:
    @pytest.fixture
    def site(app: Any, make: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
        import web.coverage.blueprint
        from web.coverage.models import FixedPlace
        from web.extensions import db

        monkeypatch.setattr(web.coverage.blueprint, "local_today", lambda: TODAY)
        t = small_territory(make)
        own = FixedPlace(source="operator", source_id="m1", name="Médiathèque", kind="Médiathèque", lat=44.2, lon=3.1)
        db.session.add(own)
        operator()
        db.session.commit()
        urls = ["/operateur/couverture/s1/", "/operateur/couverture/s1/?mesure=days_since_last_visit&tri=name",
                "/operateur/couverture/lieux", "/operateur/couverture/lieux/nouveau",
                f"/operateur/couverture/lieux/{own.id}", "/operateur/couverture/s1/bilans",
                f"/operateur/couverture/visites/{t['held'].id}/bilan", "/operateur/couverture/s1/rapport"]
        with live_server(app) as url:
            yield {"url": url, "urls": urls}

    def test_coverage_pages_are_axe_clean(browser: Browser, site: dict[str, Any]) -> None:
        page, problems = new_page(browser, bypass_csp=True, ignore_console=("status of 422",))
        log_in(page, site["url"])
        found = {}
        for url in site["urls"]:
            page.goto(site["url"] + url)
            violations = axe_violations(page)
            if violations:
                found[url] = violations
        # A form sent with errors: the messages next to their fields must be accessible too.
        page.goto(site["url"] + "/operateur/couverture/lieux/nouveau")
        page.click("form.form button[type=submit], form.form input[type=submit]")
        page.wait_for_load_state()
        assert "Indiquez le nom du lieu." in page.content()
        if axe_violations(page):
            found["place form with errors"] = axe_violations(page)
        assert found == {}, pformat(found)
        assert problems == []

    def test_coverage_pages_reflow_at_320_px(browser: Browser, site: dict[str, Any]) -> None:
        context = browser.new_context(viewport={"width": WIDTH, "height": 640})
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
                   else route.abort())
        log_in(page, site["url"])
        found = {}
        for url in site["urls"]:
            page.goto(site["url"] + url)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            if width > WIDTH:
                found[url] = width
        assert found == {}, pformat(found)

    def test_the_report_prints_on_a4_without_the_menus(browser: Browser, site: dict[str, Any]) -> None:
        page, _problems = new_page(browser)
        log_in(page, site["url"])
        page.goto(site["url"] + "/operateur/couverture/s1/rapport")
        page.emulate_media(media="print")
        assert not page.locator(".desk-nav").is_visible()
        assert page.locator("h1").inner_text() == "Rapport de saison – Saison s1"
        assert page.pdf(format="A4")[:4] == b"%PDF"
