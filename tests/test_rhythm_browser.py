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

from tests.browser import HAVE_CHROMIUM, axe_violations, fill_request_form, live_server, log_in, new_page
from tests.request_helpers import END, START, open_season
from tests.test_auth import add_operator

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

if HAVE_CHROMIUM:
    @pytest.fixture
    def site(app: Any, make: Any, db_session: Any) -> Iterator[str]:
        from web.activities.models import Activity

        tablette = Activity(slug="tablette", name="Atelier tablette", duration_minutes=90)
        db_session.add(tablette)
        open_season(make, tablette)
        make.commune("48001", name="Altier", postal_codes=["48800"])
        make.commune("48003", name="Chanac", postal_codes=["48230"])
        make.van("tiers-truck")
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

    def check_as_shown(page: Page, found: dict[str, list[str]], name: str) -> None:
        """axe-core's violations of the page as it stands, under ``name``; and it reflows at 320 px."""
        found[name] = axe_violations(page, iframes=True)
        assert no_horizontal_scroll_at_320(page)

    def error_after_sending(page: Page, submit: str, field: str) -> str:
        """Send the form by its button ``submit``; the error then shown next to ``field``."""
        page.click(submit)
        page.wait_for_selector("#erreurs")
        return page.inner_text(f"#{field}-erreur")

    def test_the_form_asking_for_a_cycle(browser: Browser, site: str) -> None:
        page, problems = a_page(browser)
        page.goto(site + "/demander")
        found: dict[str, list[str]] = {}
        check_as_shown(page, found, "form")
        # Only the numbers of the chosen rhythm are shown.
        assert page.is_hidden("#occurrences")
        page.check("#rhythm-1")
        assert page.is_visible("#occurrences") and page.is_visible("#every_weeks") and page.is_hidden("#margin_days")
        page.check("#rhythm-2")
        assert page.is_visible("#margin_days")
        page.check("#rhythm-1")
        fill_request_form(page, START + timedelta(days=1), START + timedelta(days=15))
        page.fill("#occurrences", "4")
        assert "ne peuvent contenir que" in error_after_sending(page, "input[name=submit]", "occurrences")
        check_as_shown(page, found, "form with errors")
        page.fill("#periods-0-end", (START + timedelta(days=40)).isoformat())
        page.click("input[name=submit]")
        page.wait_for_url("**/suivi/**")
        assert "4 séances, une par semaine, même jour et même heure" in page.content()
        found["tracking"] = axe_violations(page, iframes=True)
        assert {k: v for k, v in found.items() if v} == {}
        assert problems == []

    CREATE_CIRCUIT = "input[value='Créer les demandes du circuit']"

    def test_the_circuit_page(browser: Browser, site: str) -> None:
        page, problems = a_page(browser)
        log_in(page, site)
        page.goto(site + "/operateur/demandes/circuit")
        found: dict[str, list[str]] = {}
        check_as_shown(page, found, "circuit")
        page.check("#activity-0")
        page.fill("#communes", "Altier\nNullepart\nChanac (48230)")
        page.fill("#start", START.isoformat())
        page.fill("#end", END.isoformat())
        page.fill("#occurrences", "4")
        assert "Nullepart" in error_after_sending(page, CREATE_CIRCUIT, "communes")
        check_as_shown(page, found, "circuit with errors")
        page.fill("#communes", "Altier\nChanac (48230)")
        page.click(CREATE_CIRCUIT)
        page.wait_for_url("**/operateur/demandes/?statut=accepted")
        assert "Circuit créé : 2 demandes acceptées (Altier, Chanac)" in page.content()
        assert {k: v for k, v in found.items() if v} == {}
        assert problems == []
