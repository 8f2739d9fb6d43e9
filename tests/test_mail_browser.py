"""The outbox desk page and the "Prévenez-moi" form in a real browser: no axe-core
violation, and the form works with the keyboard. Collected only where Chromium is installed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import HAVE_CHROMIUM, axe_violations, live_server, log_in, new_page
from tests.desk_helpers import operator

if TYPE_CHECKING:
    from playwright.sync_api import Browser

if HAVE_CHROMIUM:

    @pytest.fixture
    def site(app: Any, make: Any) -> Iterator[str]:
        from web.extensions import db
        from web.mail.outbox import send_due
        from web.mail.transport import PermanentFailure

        make.van()
        season = make.season()
        commune = make.commune("48095", name="Marvejols")
        make.request(season, commune, status="submitted", email="mairie@marvejols.example")
        make.request(season, commune, status="submitted", email="ecole@marvejols.example")
        operator()
        db.session.commit()

        class Refusing:
            def send(self, message: Any, recipient: str) -> None:
                raise PermanentFailure("le serveur a répondu 550 boîte inconnue")

        send_due(limit=1, via=Refusing())  # one failed, the others waiting
        app.config["WTF_CSRF_ENABLED"] = True
        with live_server(app) as url:
            yield url

    def test_outbox_page_and_alert_form_have_no_axe_violation(browser: Browser, site: str) -> None:
        page, problems = new_page(browser, bypass_csp=True, console_errors=False)
        page.goto(site + "/communes/48095")
        assert axe_violations(page) == []
        page.focus("#alerte-email")
        page.keyboard.type("habitant@example.org")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Un message vient de partir vers habitant@example.org" in page.inner_text("body")
        assert axe_violations(page) == []

        log_in(page, site)
        page.goto(site + "/operateur/courriels")
        assert "550 boîte inconnue" in page.content()
        assert axe_violations(page) == []
        with page.expect_navigation():
            page.click("button:has-text('Renvoyer')")
        assert "partira dans un instant" in page.content()
        assert axe_violations(page) == []
        assert problems == []
