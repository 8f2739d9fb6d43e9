"""Planning desk pages in a real browser (Debian's Chromium via Playwright): axe-core
finds no accessibility violation on operator pages; the review works with the keyboard
and without JavaScript for the job page. Collected only where Chromium is installed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import HAVE_CHROMIUM, axe_violations, live_server, log_in, new_page
from tests.desk_helpers import draft, operator, small_season

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

DESK = "/operateur/planification"

if HAVE_CHROMIUM:
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
               "day": min(r.date for r in second.rows).isoformat(),
               "sheet": f"{DESK}/versions/{second.id}/feuille/{row.van.slug}/{row.date.isoformat()}"}
        db.session.commit()
        app.config["WTF_CSRF_ENABLED"] = True
        with live_server(app) as url:
            yield {"url": url, **ids}

    def logged_in_page(browser: Browser, url: str) -> tuple[Page, list[str]]:
        # CSP bypassed only to inject axe-core, which the site's policy rightly blocks.
        # Console errors are not counted here: page errors and dialogs are.
        page, problems = new_page(browser, bypass_csp=True, console_errors=False)
        log_in(page, url)
        return page, problems

    def test_axe_finds_no_violation_on_operator_pages(browser: Browser, desk: dict[str, Any]) -> None:
        page, problems = logged_in_page(browser, desk["url"])
        urls = [f"{DESK}/", f"{DESK}/saisons/s1", f"{DESK}/travaux/{desk['job']}",
                f"{DESK}/versions/{desk['draft']}", f"{DESK}/versions/{desk['published']}", desk["sheet"],
                f"{DESK}/visites/{desk['visit']}/affiche", f"{DESK}/versions/{desk['draft']}?arret=truck-1-1",
                # The day's map, a document of its own in the review's frame.
                f"{DESK}/versions/{desk['draft']}/carte?jour={desk['day']}&arret=truck-1-1"]
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
        form = page.locator("#journee ~ .desk-day form.move-form").first
        offered = form.locator("select option").all_inner_texts()
        assert offered  # only days that can take the visit are offered
        form.locator("select").focus()
        page.keyboard.press("ArrowDown" if len(offered) > 1 else "Home")
        form.locator("button").focus()
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert "Visite déplacée" in page.locator(".flashes").inner_text()

    def test_the_timeline_and_the_map_select_the_same_stop(browser: Browser, desk: dict[str, Any]) -> None:
        page, problems = logged_in_page(browser, desk["url"])
        page.goto(desk["url"] + f"{DESK}/versions/{desk['draft']}")
        frame = page.frame_locator("#carte-jour")
        pins = frame.locator(".tp-pin")
        pins.first.wait_for()
        # Numbered pins in the van's colour, and the depot.
        assert pins.all_inner_texts()[0].startswith("1")
        assert frame.locator(".tp-depot").count() == 1
        # A stop chosen in the timeline opens its pin's popup in the map...
        stops = page.locator("a.stop-link")
        last = stops.count()
        stops.nth(last - 1).click()
        assert page.locator(f"#arret-truck-1-{last}").get_attribute("aria-current") == "true"
        popup = frame.locator(".leaflet-popup-content")
        popup.wait_for()
        assert popup.inner_text().startswith(f"{last}. ")
        # ... and a pin chosen in the map selects its stop in the timeline.
        # Dispatched on the pin itself: the map may still be panning to the popup just opened,
        # and a click at the pin's old place lands on the bare map (one run in four, loaded).
        pins.first.dispatch_event("click")
        page.locator("#arret-truck-1-1[aria-current=true]").wait_for()
        assert page.locator(".seg-visit.selected").count() == 1
        assert problems == []

    def test_without_javascript_a_stop_link_selects_it_in_the_timeline_and_the_map(
            browser: Browser, desk: dict[str, Any]) -> None:
        page, problems = logged_in_page(browser, desk["url"])
        nojs = page.context.browser.new_context(java_script_enabled=False)
        nojs.add_cookies(page.context.cookies())
        plain = nojs.new_page()
        plain.goto(desk["url"] + f"{DESK}/versions/{desk['draft']}")
        plain.locator("a.stop-link").first.click()
        plain.wait_for_load_state()
        assert "arret=truck-1-1" in plain.url
        assert plain.locator("#arret-truck-1-1").get_attribute("aria-current") == "true"
        assert "arret=truck-1-1" in (plain.locator("#carte-jour").get_attribute("src") or "")
        nojs.close()
        assert problems == []

    @pytest.fixture
    def blocked(app: Any, make: Any) -> Iterator[dict[str, Any]]:
        from tests.desk_helpers import blocked_season

        data = blocked_season(make)
        operator()
        ids = {"draft": data["draft"].id, "tuesday": data["tuesday"].id}
        app.config["WTF_CSRF_ENABLED"] = True
        with live_server(app) as url:
            yield {"url": url, **ids}

    def test_a_blocked_visit_is_explained_and_its_unlock_control_works(browser: Browser, blocked: dict[str, Any]):
        page, problems = logged_in_page(browser, blocked["url"])
        page.goto(blocked["url"] + f"{DESK}/versions/{blocked['draft']}")
        page.click("text=jours possibles et ce qui bloque")  # the link opens the explanation
        details = page.locator(f"#options-{blocked['tuesday']}-0")
        details.locator("summary").click()
        assert details.locator("td", has_text="la visite « Atelier long » (Grèzes), verrouillée").is_visible()
        assert axe_violations(page) == []
        details.get_by_role("button", name="Déverrouiller « Atelier long »").click()
        page.wait_for_load_state()
        assert "Visite déverrouillée" in page.locator(".flashes").inner_text()
        assert page.url.endswith("#laissees")
        details = page.locator(f"#options-{blocked['tuesday']}-0")
        details.locator("summary").click()
        assert details.locator("td", has_text="la visite « Atelier long » (Grèzes), de ce brouillon").is_visible()
        details.get_by_role("button", name="Placer ici à la place de « Atelier long »").click()
        page.wait_for_load_state()
        assert "Visite placée le mardi 2 mars 2027" in page.locator(".flashes").inner_text().replace("\xa0", " ")
        assert axe_violations(page) == []
        assert problems == []
