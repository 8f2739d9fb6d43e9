"""Request form, tracking page, login, inbox and setup pages in a real browser (Debian's
Chromium driven by Playwright): axe-core finds no violation, the form works by keyboard,
suggestions fill the datalist under the strict CSP, the error summary takes the focus.

Collected only where Chromium is installed (CI installs it); browsers are never downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import HAVE_CHROMIUM, axe_violations, fill_request_form, live_server, log_in, new_page
from tests.request_helpers import START, open_season
from tests.test_auth import add_operator

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

if HAVE_CHROMIUM:
    @pytest.fixture
    def site(app: Any, make: Any, db_session: Any) -> Iterator[str]:
        season = open_season(make)["season"]
        make.commune("48146", name="Saint-Chély-d'Apcher", postal_codes=["48200"])
        van = make.van("tiers-truck")
        db_session.commit()
        add_operator(app)
        IDS.update(season=season.id, van=van.id)
        with live_server(app) as url:
            yield url

    IDS: dict[str, int] = {}

    def last_request_id(app: Any) -> int:
        from sqlalchemy import func, select

        from web.extensions import db
        from web.requests.models import VisitRequest

        with app.app_context():
            return db.session.execute(select(func.max(VisitRequest.id))).scalar_one()

    def request_page(browser: Browser, bypass_csp: bool = False) -> tuple[Page, list[str]]:
        # A page answered 422 (form with errors) or 409 is expected; the browser logs it as a failed
        # load: failed loads are checked by status instead, other console errors all count.
        return new_page(browser, bypass_csp=bypass_csp, offline=False, ignore_console=("Failed to load resource",),
                        http_errors_except=(409, 422))

    def fill_valid_form(page: Page) -> None:
        fill_request_form(page, START + timedelta(days=2), START + timedelta(days=20))

    def test_axe_finds_no_violation_on_the_request_pages(browser: Browser, site: str) -> None:
        page, problems = request_page(browser, bypass_csp=True)
        found: dict[str, list[str]] = {}
        for lang in ("fr", "en"):  # the English pages too: lang="en", longer texts
            page.goto(site + f"/langue/{lang}")
            page.goto(site + "/demander")
            found[f"{lang} form"] = axe_violations(page, iframes=True)
            page.click("button[type=submit], input[name=submit]")  # empty form: every error shown
            found[f"{lang} form with errors"] = axe_violations(page, iframes=True)
            page.goto(site + "/demander")
            fill_valid_form(page)
            page.click("input[name=submit]")
            page.wait_for_url("**/suivi/**")
            tracking = page.url
            found[f"{lang} tracking"] = axe_violations(page, iframes=True)
            page.goto(tracking + "/annuler")
            found[f"{lang} cancel"] = axe_violations(page, iframes=True)
            page.goto(tracking + "/modifier")
            found[f"{lang} change"] = axe_violations(page, iframes=True)
            page.fill("#notes", "Plutôt le matin.")
            page.click("input[name=submit]")
            page.wait_for_url(tracking)
            found[f"{lang} tracking, change waiting"] = axe_violations(page, iframes=True)
        assert {k: v for k, v in found.items() if v} == {}
        assert problems == []

    def test_axe_finds_no_violation_on_operator_pages(browser: Browser, site: str, app: Any) -> None:
        page, problems = request_page(browser, bypass_csp=True)
        page.goto(site + "/demander")
        fill_valid_form(page)
        page.click("input[name=submit]")
        page.wait_for_url("**/suivi/**")
        tracking = page.url
        page.goto(tracking + "/modifier")  # a commune's change waiting: the inbox shows it first
        page.fill("#notes", "Plutôt le matin.")
        page.click("input[name=submit]")
        page.wait_for_url(tracking)
        rid, vid, sid = last_request_id(app), IDS["van"], IDS["season"]
        page.goto(site + "/operateur/connexion")
        found = {"login": axe_violations(page, iframes=True)}
        log_in(page, site)
        urls = [
            "/operateur/",
            "/operateur/demandes/",
            "/operateur/demandes/?statut=submitted",
            f"/operateur/demandes/{rid}",
            f"/operateur/demandes/{rid}/modifier",
            f"/operateur/demandes/{rid}/annuler",
            "/operateur/parametres/",
            f"/operateur/parametres/camions/{vid}",
            "/operateur/parametres/camions/nouveau",
            f"/operateur/parametres/saisons/{sid}",
            "/operateur/parametres/saisons/nouvelle",
        ]
        for url in urls:
            page.goto(site + url)
            found[url] = axe_violations(page, iframes=True)
        # Pages showing errors too.
        page.goto(site + "/operateur/parametres/camions/nouveau")
        page.click("input[value='Enregistrer le camion']")  # not the logout button, also named submit
        found["van errors"] = axe_violations(page, iframes=True)
        page.goto(site + f"/operateur/demandes/{rid}")
        page.click("input[value='Refuser la demande']")
        found["decline without reason"] = axe_violations(page, iframes=True)
        page.click("input[value='Refuser la modification']")
        found["change refused without reason"] = axe_violations(page, iframes=True)
        page.goto(site + f"/operateur/demandes/{rid}/annuler")
        page.click("input[value=\"Confirmer l'annulation\"]")
        found["cancel without reason"] = axe_violations(page, iframes=True)
        page.fill("#reason", "Salle indisponible")
        page.click("input[value=\"Confirmer l'annulation\"]")
        found["cancelled, undo offered"] = axe_violations(page, iframes=True)
        assert page.get_by_role("button", name="Rétablir la demande (annuler l'annulation)").is_visible()
        assert {k: v for k, v in found.items() if v} == {}
        assert problems == []

    def test_the_request_form_by_keyboard_with_suggestions_and_error_focus(browser: Browser, site: str) -> None:
        page, problems = request_page(browser)  # the real CSP: our script must run under it
        page.goto(site + "/demander")
        page.click("#commune")
        page.keyboard.type("chely", delay=30)
        page.wait_for_function("() => document.querySelectorAll('#communes-suggestions option').length > 0",
                               timeout=5_000)
        assert (
            page.eval_on_selector("#communes-suggestions option", "o => o.value")
            == "Saint-Chély-d'Apcher (48200) – 48146"
        )

        # Submitting with errors: the summary takes the focus and links to the fields.
        page.fill("#contact_name", "")
        with page.expect_navigation():
            page.click("input[name=submit]")
        # The focus moves once the page has loaded: wait for it rather than race it.
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'erreurs'",
                               timeout=5_000)
        assert page.title().startswith("Erreur")
        page.click("#erreurs a[href='#contact_name']")
        assert page.evaluate("() => location.hash") == "#contact_name"

        # The whole form can be filled and sent with the keyboard only.
        page.goto(site + "/demander")
        fill_valid_form(page)
        page.focus("#notes")
        page.keyboard.type("Par le clavier")
        page.focus("input[name=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url("**/suivi/**")
        assert "Reçue" in page.content()
        assert problems == []
