"""Request form, tracking page, login, inbox and setup pages in a real browser (Debian's
Chromium driven by Playwright): axe-core finds no violation, the form works by keyboard,
suggestions fill the datalist under the strict CSP, the error summary takes the focus.

Collected only where Chromium is installed (CI installs it); browsers are never downloaded.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tourplan.calendar import local_today

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
TODAY = local_today()
START = TODAY + timedelta(days=7)
END = TODAY + timedelta(days=120)

if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
    pytest.skip("Chromium is not installed (CI installs Debian's chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from tests.test_auth import PASSWORD, add_operator  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def site(app: Any, make: Any, db_session: Any) -> Iterator[str]:
    from web.activities.models import Activity

    season = make.season("printemps", start=START, end=END)
    make.commune("48095", name="Mende", postal_codes=["48000"], townhall_address="Place Urbain V")
    make.commune("48146", name="Saint-Chély-d'Apcher", postal_codes=["48200"])
    van = make.van("tiers-truck")
    db_session.add(Activity(slug="demarches", name="Aide aux démarches", duration_minutes=120, equipment=["laptops"]))
    db_session.commit()
    add_operator(app)
    IDS.update(season=season.id, van=van.id)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


IDS: dict[str, int] = {}


def last_request_id(app: Any) -> int:
    from sqlalchemy import func, select

    from web.extensions import db
    from web.requests.models import VisitRequest

    with app.app_context():
        return db.session.execute(select(func.max(VisitRequest.id))).scalar_one()


def new_page(browser: Browser, bypass_csp: bool = False) -> tuple[Page, list[str]]:
    """``bypass_csp`` only to inject axe-core, which our policy rightly blocks."""
    page = browser.new_context(bypass_csp=bypass_csp).new_page()
    problems: list[str] = []
    # A page answered 422 (form with errors) is expected; the browser logs it as a failed load:
    # failed loads are checked by URL below, other console errors all count.
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.status not in (409, 422) and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    return page, problems


def axe_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return list(
        page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(' | '))"
        )
    )


def fill_valid_form(page: Page) -> None:
    page.fill("#commune", "Mende (48000) – 48095")
    page.select_option("#structure_kind", "mairie")
    page.fill("#contact_name", "Jeanne Martin")
    page.fill("#email", "jeanne@mairie-mende.fr")
    page.fill("#phone", "04 66 49 12 34")
    page.check("#activity-0")
    page.fill("#periods-0-start", (START + timedelta(days=2)).isoformat())
    page.fill("#periods-0-end", (START + timedelta(days=20)).isoformat())


def test_axe_finds_no_violation_on_the_request_pages(browser: Browser, site: str) -> None:
    page, problems = new_page(browser, bypass_csp=True)
    found: dict[str, list[str]] = {}
    page.goto(site + "/demander")
    found["form"] = axe_violations(page)
    page.goto(site + "/demander")
    page.click("button[type=submit], input[name=submit]")  # empty form: every error shown
    found["form with errors"] = axe_violations(page)
    page.goto(site + "/demander")
    fill_valid_form(page)
    page.click("input[name=submit]")
    page.wait_for_url("**/suivi/**")
    tracking = page.url
    found["tracking"] = axe_violations(page)
    page.goto(tracking + "/annuler")
    found["cancel"] = axe_violations(page)
    assert {k: v for k, v in found.items() if v} == {}
    assert problems == []


def test_axe_finds_no_violation_on_operator_pages(browser: Browser, site: str, app: Any) -> None:
    page, problems = new_page(browser, bypass_csp=True)
    page.goto(site + "/demander")
    fill_valid_form(page)
    page.click("input[name=submit]")
    page.wait_for_url("**/suivi/**")
    rid, vid, sid = last_request_id(app), IDS["van"], IDS["season"]
    page.goto(site + "/operateur/connexion")
    found = {"login": axe_violations(page)}
    page.fill("#email", "ops@example.fr")
    page.fill("#password", PASSWORD)
    page.click("input[name=submit]")
    page.wait_for_url(site + "/operateur/")
    urls = [
        "/operateur/",
        "/operateur/demandes/",
        "/operateur/demandes/?statut=submitted",
        f"/operateur/demandes/{rid}",
        f"/operateur/demandes/{rid}/modifier",
        "/operateur/parametres/",
        f"/operateur/parametres/camions/{vid}",
        "/operateur/parametres/camions/nouveau",
        f"/operateur/parametres/saisons/{sid}",
        "/operateur/parametres/saisons/nouvelle",
    ]
    for url in urls:
        page.goto(site + url)
        found[url] = axe_violations(page)
    # Pages showing errors too.
    page.goto(site + "/operateur/parametres/camions/nouveau")
    page.click("input[value='Enregistrer le camion']")  # not the logout button, also named submit
    found["van errors"] = axe_violations(page)
    page.goto(site + f"/operateur/demandes/{rid}")
    page.click("input[value='Refuser la demande']")
    found["decline without reason"] = axe_violations(page)
    assert {k: v for k, v in found.items() if v} == {}
    assert problems == []


def test_the_request_form_by_keyboard_with_suggestions_and_error_focus(browser: Browser, site: str) -> None:
    page, problems = new_page(browser)  # the real CSP: our script must run under it
    page.goto(site + "/demander")
    page.click("#commune")
    page.keyboard.type("chely", delay=30)
    page.wait_for_function("() => document.querySelectorAll('#communes-suggestions option').length > 0", timeout=5_000)
    assert (
        page.eval_on_selector("#communes-suggestions option", "o => o.value") == "Saint-Chély-d'Apcher (48200) – 48146"
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
