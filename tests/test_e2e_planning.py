"""End to end in a real browser (Debian's Chromium via Playwright, JavaScript off for the
operator so everything must work with plain forms and a <meta refresh>): a commune asks
for a visit, an operator logs in, accepts it, plans, reviews and publishes; the visit is
then on the commune's page and in its feed, and the commune's tracking link shows the date.

Collected only where Chromium is installed (CI installs it); browsers are never downloaded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import HAVE_CHROMIUM, fill_request_form, live_server, log_in, new_page
from tests.desk_helpers import operator
from tests.request_helpers import START, open_season

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

if HAVE_CHROMIUM:
    @pytest.fixture
    def site(app: Any, make: Any, db_session: Any) -> Iterator[str]:
        open_season(make)
        make.van("tiers-truck", depot_lat=44.52, depot_lon=3.49)
        db_session.commit()
        operator()
        app.config["WTF_CSRF_ENABLED"] = True
        with live_server(app) as url:
            yield url

    def local_page(browser: Browser, *, javascript: bool = True) -> Page:
        # This journey checks outcomes, not console noise: the problems list is not asserted.
        return new_page(browser, javascript=javascript)[0]

    def wait_for_text(page: Page, text: str, timeout: float = 120.0) -> str:
        """Wait while the page refreshes itself (meta refresh), without touching it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                html = page.content()
            except Exception:  # noqa: BLE001  - mid-navigation
                html = ""
            if text in html:
                return html
            time.sleep(0.5)
        raise AssertionError(f"{text!r} never appeared; last page: {page.content()[:2000]}")

    def test_request_accept_plan_review_publish_then_public(browser: Browser, site: str, app: Any) -> None:
        from sqlalchemy import select

        from web.extensions import db
        from web.tours.models import Visit

        # A commune asks for a visit.
        commune = local_page(browser)
        commune.goto(site + "/demander")
        fill_request_form(commune, START + timedelta(days=2), START + timedelta(days=20))
        commune.click("input[name=submit]")
        commune.wait_for_load_state()
        # Sent: the browser lands on the private tracking page.
        assert "/suivi/" in commune.url, commune.content()[:2000]
        tracking = commune.url
        assert "Pas encore de date" in commune.content()

        # An operator, without JavaScript, accepts it...
        ops = local_page(browser, javascript=False)
        log_in(ops, site)
        with app.app_context():
            from web.requests.models import VisitRequest

            rid = db.session.execute(select(VisitRequest.id)).scalar_one()
        ops.goto(site + f"/operateur/demandes/{rid}")
        ops.locator("form:has(input[name=to_status][value=accepted]) button").click()
        ops.wait_for_load_state()

        # ... plans the season, follows the job page as it refreshes itself ...
        ops.goto(site + "/operateur/planification/saisons/printemps")
        ops.fill("#time-limit-printemps", "3")
        ops.locator("form.plan-form button").click()
        ops.wait_for_load_state()
        assert "/operateur/planification/travaux/" in ops.url
        wait_for_text(ops, "Terminée")
        ops.click("text=Relire le brouillon")
        ops.wait_for_load_state()
        review = ops.content()
        assert "Visites servies" in review and "Mende" in review

        # ... and publishes it.
        ops.click("text=Publier cette version")
        ops.wait_for_load_state()
        assert "publiée : 1 visite(s) nouvelle(s)" in ops.content()

        with app.app_context():
            visit = db.session.execute(select(Visit)).scalar_one()
        # The visit is on the commune's page and in its feed ...
        public = local_page(browser)
        public.goto(site + "/communes/48095")
        page_text = public.content()
        assert f"/visites/{visit.id}" in page_text, page_text[page_text.find("<main"):][:3000]
        feed = public.request.get(site + "/communes/48095.ics").text()
        assert f"UID:visit-{visit.id}@" in feed and visit.date.strftime("%Y%m%d") in feed
        # ... and the commune's tracking link shows its date.
        commune.goto(tracking)
        text = commune.content()
        assert "Pas encore de date" not in text
        assert f"/visites/{visit.id}" in text, text[text.find("<main"):][:3000]
