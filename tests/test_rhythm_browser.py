"""Asking for a rhythm in a real browser (Debian's Chromium via Playwright): the request form
asking for a cycle and the circuit page have no axe-core violation (with and without
errors) and reflow at 320 px without horizontal scrolling; the form shows only the numbers
the chosen rhythm uses.

Collected only where Chromium is installed (CI installs it); browsers are never downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import HAVE_CHROMIUM, axe_violations, live_server, new_page
from tests.test_auth import PASSWORD, add_operator
from tourplan.calendar import local_today

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

START = local_today() + timedelta(days=7)
END = START + timedelta(days=120)

if HAVE_CHROMIUM:
    @pytest.fixture
    def site(app: Any, make: Any, db_session: Any) -> Iterator[str]:
        from web.activities.models import Activity

        make.season("printemps", start=START, end=END)
        make.commune("48095", name="Mende", postal_codes=["48000"], townhall_address="Place Urbain V")
        make.commune("48001", name="Altier", postal_codes=["48800"])
        make.commune("48003", name="Chanac", postal_codes=["48230"])
        make.van("tiers-truck")
        db_session.add(Activity(slug="tablette", name="Atelier tablette", duration_minutes=90))
        db_session.commit()
        add_operator(app)
        with live_server(app) as url:
            yield url

    def a_page(browser: Browser) -> tuple[Page, list[str]]:
        # Forms with errors answer 422, which the browser logs as a failed load.
        return new_page(browser, bypass_csp=True, ignore_console=("Failed to load resource",),
                        http_errors_except=(422,))

    def no_horizontal_scroll_at_320(page: Page) -> bool:
        page.set_viewport_size({"width": 320, "height": 900})
        return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    def test_the_form_asking_for_a_cycle(browser: Browser, site: str) -> None:
        page, problems = a_page(browser)
        page.goto(site + "/demander")
        found = {"form": axe_violations(page, iframes=True)}
        assert no_horizontal_scroll_at_320(page)
        # Only the numbers of the chosen rhythm are shown.
        assert page.is_hidden("#occurrences")
        page.check("#rhythm-1")
        assert page.is_visible("#occurrences") and page.is_visible("#every_weeks") and page.is_hidden("#margin_days")
        page.check("#rhythm-2")
        assert page.is_visible("#margin_days")
        page.check("#rhythm-1")
        page.fill("#commune", "Mende (48000) – 48095")
        page.fill("#contact_name", "Jeanne Martin")
        page.fill("#email", "jeanne@mairie-mende.fr")
        page.fill("#phone", "04 66 49 12 34")
        page.check("#activity-0")
        page.fill("#periods-0-start", (START + timedelta(days=1)).isoformat())
        page.fill("#periods-0-end", (START + timedelta(days=15)).isoformat())
        page.fill("#occurrences", "4")
        page.click("input[name=submit]")
        page.wait_for_selector("#erreurs")
        assert "ne peuvent contenir que" in page.inner_text("#occurrences-erreur")
        found["form with errors"] = axe_violations(page, iframes=True)
        assert no_horizontal_scroll_at_320(page)
        page.fill("#periods-0-end", (START + timedelta(days=40)).isoformat())
        page.click("input[name=submit]")
        page.wait_for_url("**/suivi/**")
        assert "4 séances, une par semaine, même jour et même heure" in page.content()
        found["tracking"] = axe_violations(page, iframes=True)
        assert {k: v for k, v in found.items() if v} == {}
        assert problems == []

    def test_the_circuit_page(browser: Browser, site: str) -> None:
        page, problems = a_page(browser)
        page.goto(site + "/operateur/connexion")
        page.fill("#email", "ops@example.fr")
        page.fill("#password", PASSWORD)
        page.click("input[name=submit]")
        page.wait_for_url(site + "/operateur/")
        page.goto(site + "/operateur/demandes/circuit")
        found = {"circuit": axe_violations(page, iframes=True)}
        assert no_horizontal_scroll_at_320(page)
        page.check("#activity-0")
        page.fill("#communes", "Altier\nNullepart\nChanac (48230)")
        page.fill("#start", START.isoformat())
        page.fill("#end", END.isoformat())
        page.fill("#occurrences", "4")
        page.click("input[value='Créer les demandes du circuit']")
        page.wait_for_selector("#erreurs")
        assert "Nullepart" in page.inner_text("#communes-erreur")
        found["circuit with errors"] = axe_violations(page, iframes=True)
        assert no_horizontal_scroll_at_320(page)
        page.fill("#communes", "Altier\nChanac (48230)")
        page.click("input[value='Créer les demandes du circuit']")
        page.wait_for_url("**/operateur/demandes/?statut=accepted")
        assert "Circuit créé : 2 demandes acceptées (Altier, Chanac)" in page.content()
        assert {k: v for k, v in found.items() if v} == {}
        assert problems == []
