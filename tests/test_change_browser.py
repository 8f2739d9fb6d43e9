"""A commune's change to its request, the whole path in a real browser (Debian's Chromium
driven by Playwright): the commune asks from its tracking page, the team accepts it from the
inbox, the commune sees the outcome; each page axe-clean and without horizontal scroll at
320 px, in French and in English.

Collected only where Chromium is installed (CI installs it); browsers are never downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import HAVE_CHROMIUM, axe_violations, live_server, new_page
from tests.test_auth import PASSWORD, add_operator
from tests.test_reflow_browser import WIDEST
from tourplan.calendar import local_today

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

START = local_today() + timedelta(days=7)
END = START + timedelta(days=120)
PERIOD = {"start": (START + timedelta(days=2)).isoformat(), "end": (START + timedelta(days=30)).isoformat()}

if HAVE_CHROMIUM:
    @pytest.fixture
    def site(app: Any, make: Any, db_session: Any) -> Iterator[dict[str, Any]]:
        from web.activities.models import Activity

        season = make.season("printemps", start=START, end=END)
        mende = make.commune("48095", name="Mende", postal_codes=["48000"], townhall_address="Place Urbain V")
        activity = Activity(slug="demarches", name="Aide aux démarches", duration_minutes=120, equipment=["laptops"])
        db_session.add(activity)
        db_session.flush()
        req = make.request(season, mende, status="accepted", activity=activity, label="Aide aux démarches – Mende",
                           periods=[PERIOD], contact_name="Jeanne Martin", email="jeanne@mairie-mende.fr",
                           phone="04 66 49 12 34")
        db_session.commit()
        add_operator(app)
        with live_server(app) as url:
            yield {"url": url, "track": f"{url}/suivi/{req.tracking_token}", "request": req.id}

    def a_page(browser: Browser) -> tuple[Page, list[str]]:
        # A form with errors answers 422, which the browser logs as a failed load.
        return new_page(browser, bypass_csp=True, ignore_console=("Failed to load resource",),
                        http_errors_except=(422,))

    def checked(page: Page, found: dict[str, Any], name: str) -> None:
        """axe-core at the page's usual width, then no horizontal scroll at 320 px."""
        page.set_viewport_size({"width": 1280, "height": 900})
        found[name] = axe_violations(page, iframes=True)
        page.set_viewport_size({"width": 320, "height": 900})
        if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"):
            found[name + " at 320 px"] = (page.evaluate("document.documentElement.scrollWidth"), page.evaluate(WIDEST))

    def test_a_commune_asks_for_a_change_the_team_accepts_and_the_commune_sees_it(
            browser: Browser, site: dict[str, Any]) -> None:
        page, problems = a_page(browser)
        found: dict[str, Any] = {}
        page.goto(site["track"])
        page.get_by_role("link", name="Demander une modification").click()
        page.wait_for_url("**/modifier")
        assert page.input_value("#contact_name") == "Jeanne Martin"
        assert page.input_value("#periods-0-end") == PERIOD["end"]
        checked(page, found, "change form")

        # Errors first, as on the request form: summary focused, each error links to its field.
        page.fill("#email", "jeanne")
        page.click("input[name=submit]")
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'erreurs'")
        assert page.title().startswith("Erreur")
        checked(page, found, "change form with errors")

        later = (START + timedelta(days=45)).isoformat()
        page.fill("#email", "jeanne@mairie-mende.fr")
        page.fill("#periods-0-end", later)
        page.fill("#phone", "04 66 00 00 00")
        page.fill("#message", "La salle n'est libre qu'à partir de mai.")
        page.click("input[name=submit]")
        page.wait_for_url(site["track"])
        pending = page.locator("section.change")
        assert "en attente de l'équipe" in pending.inner_text()
        assert "04 66 00 00 00" in pending.locator("table").inner_text()
        checked(page, found, "tracking page, change waiting")

        # The team: the inbox shows it first, with what accepting changes; accept.
        team, more = a_page(browser)
        team.goto(site["url"] + "/operateur/connexion")
        team.fill("#email", "ops@example.fr")
        team.fill("#password", PASSWORD)
        team.click("input[name=submit]")
        team.wait_for_url(site["url"] + "/operateur/")
        team.goto(site["url"] + "/operateur/demandes/")
        assert "Modifications demandées : 1" in team.content()
        block = team.locator("article.pending-change")
        assert "La salle n'est libre qu'à partir de mai." in block.inner_text()
        checked(team, found, "inbox with a change")
        team.goto(site["url"] + f"/operateur/demandes/{site['request']}")
        checked(team, found, "request page with a change")
        team.get_by_role("button", name="Accepter la modification").click()
        team.wait_for_url(site["url"] + f"/operateur/demandes/{site['request']}")
        assert "modification acceptée et appliquée" in team.content()
        checked(team, found, "request page after accepting")

        # The commune sees the outcome, and its request as changed.
        page.reload()
        outcome = page.locator("section.change").inner_text()
        assert "acceptée le" in outcome and "la demande ci-dessus en tient compte" in outcome
        summary = page.locator("dl.summary").inner_text()
        assert "Acceptée" in summary
        assert page.get_by_role("link", name="Demander une modification").is_visible()
        checked(page, found, "tracking page, change accepted")
        assert {k: v for k, v in found.items() if v} == {}
        assert problems == [] and more == []

    def test_in_english_the_change_pages_are_axe_clean_and_reflow(browser: Browser, site: dict[str, Any]) -> None:
        page, problems = a_page(browser)
        found: dict[str, Any] = {}
        page.goto(site["url"] + "/langue/en")
        page.goto(site["track"] + "/modifier")
        assert page.locator("html").get_attribute("lang") == "en"
        checked(page, found, "change form")
        page.fill("#notes", "Mornings are better.")
        page.click("input[name=submit]")
        page.wait_for_url(site["track"])
        assert "waiting for the team" in page.locator("section.change").inner_text()
        checked(page, found, "tracking page, change waiting")
        page.get_by_role("button", name="Withdraw my change request").click()
        page.wait_for_url(site["track"])
        assert "withdrawn on" in page.locator("section.change").inner_text()
        checked(page, found, "tracking page, change withdrawn")
        assert {k: v for k, v in found.items() if v} == {}
        assert problems == []
