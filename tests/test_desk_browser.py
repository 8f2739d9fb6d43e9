"""Planning desk pages in a real browser (Debian's Chromium via Playwright): axe-core
finds no accessibility violation on operator pages; the review works with the keyboard
and without JavaScript for the job page. Collected only where Chromium is installed."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.desk_helpers import PASSWORD, draft, operator, small_season

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DESK = "/operateur/planification"

if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
    from playwright.sync_api import Browser, Page, sync_playwright
    from werkzeug.serving import make_server

    @pytest.fixture(scope="module")
    def browser() -> Iterator[Browser]:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield b
            b.close()

    @pytest.fixture
    def desk(app: Any, make: Any) -> Iterator[dict[str, Any]]:
        from web.extensions import db
        from web.jobs.models import PlanningJob
        from web.tours.models import Visit
        from web.tours.operations import publish_version

        data = small_season(make)
        published = draft(data["season"])
        publish_version(published.id, by="ops@example.fr")
        second = draft(data["season"])
        job = PlanningJob(season_id=data["season"].id, status="done", time_limit=5, created_by="ops@example.fr",
                          best_served_priority=7, total_priority=8, best_km=144.4, version_id=second.id)
        db.session.add(job)
        operator()
        visit = db.session.query(Visit).first()
        row = second.rows[0]
        ids = {"published": published.id, "draft": second.id, "job": job.id, "visit": visit.id,
               "sheet": f"{DESK}/versions/{second.id}/feuille/{row.van.slug}/{row.date.isoformat()}"}
        db.session.commit()
        app.config["WTF_CSRF_ENABLED"] = True
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield {"url": f"http://127.0.0.1:{httpd.server_port}", **ids}
        httpd.shutdown()
        thread.join(5)

    def logged_in_page(browser: Browser, url: str) -> tuple[Page, list[str]]:
        # CSP bypassed only to inject axe-core, which the site's policy rightly blocks.
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
                   else route.abort())
        page.goto(url + "/operateur/connexion")
        page.fill("input[name=email]", "ops@example.fr")
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit], form input[type=submit]")
        page.wait_for_load_state()
        return page, problems

    def axe_violations(page: Page) -> list[str]:
        page.add_script_tag(path=str(AXE))
        return list(page.evaluate(
            "async () => (await axe.run(document, {iframes: false, resultTypes: ['violations']})).violations"
            ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(' | '))"
        ))

    def test_axe_finds_no_violation_on_operator_pages(browser: Browser, desk: dict[str, Any]) -> None:
        page, problems = logged_in_page(browser, desk["url"])
        urls = [f"{DESK}/", f"{DESK}/saisons/s1", f"{DESK}/travaux/{desk['job']}",
                f"{DESK}/versions/{desk['draft']}", f"{DESK}/versions/{desk['published']}", desk["sheet"],
                f"{DESK}/visites/{desk['visit']}/affiche"]
        found = {}
        for url in urls:
            page.goto(desk["url"] + url)
            assert "/operateur/connexion" not in page.url, url
            violations = axe_violations(page)
            if violations:
                found[url] = violations
        assert found == {}
        assert problems == []

    def test_a_hand_move_from_the_browser_with_the_keyboard(browser: Browser, desk: dict[str, Any]) -> None:
        page, _problems = logged_in_page(browser, desk["url"])
        page.goto(desk["url"] + f"{DESK}/versions/{desk['draft']}")
        form = page.locator("form.move-form").first
        form.locator("input[type=date]").fill("2027-03-08")
        form.locator("button").focus()
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        text = page.locator(".flashes").inner_text()
        assert "Visite déplacée" in text or "Déplacement refusé (règle" in text
