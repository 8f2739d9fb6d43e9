"""WCAG 1.4.10 reflow: every page, public and operator, shows at 320 px wide without a
horizontal scroll (no content wider than the screen); times never wrap inside; the
calendar opens in its list view on a small screen. In Chromium; collected only where it is
installed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pprint import pformat
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import HAVE_CHROMIUM, live_server, log_in
from tests.desk_helpers import draft, operator, small_season
from tests.public_data import next_weekday, published_tour
from tourplan.calendar import local_today

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TODAY = local_today()
SOON = next_weekday(TODAY + timedelta(days=1), 1)
PAST = next_weekday(TODAY - timedelta(days=20), 1)
WIDTH = 320
DESK = "/operateur/planification"

#: What overflows, for the failure message: elements wider than the screen.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') +
    ' ' + Math.round(e.getBoundingClientRect().right))"""

if HAVE_CHROMIUM:
    @pytest.fixture
    def site(app: Any, make: Any) -> Iterator[dict[str, Any]]:
        from web.extensions import db
        from web.tours.operations import publish_version

        public = published_tour(make, [("mende", "nord", PAST, 570, 690, 0), ("mende", "nord", SOON, 570, 690, 1),
                                       ("marvejols", "sud", SOON, 840, 930, 0)])
        data = small_season(make)
        published = draft(data["season"])
        publish_version(published.id, by="ops@example.fr")
        second = draft(data["season"])
        operator()
        # A commune's change waiting: the inbox, the request's and the tracking page show it (a long
        # e-mail address in a three-column table is what would widen a page).
        from web.requests.changes import propose_change

        propose_change(data["plain"], {"email": "secretariat.general.mairie-altier@exemple-lozere.fr",
                                       "notes": "Plutôt le matin, la salle est prise l'après-midi."})
        make.commune("48017", name="Badaroux", lat=44.538, lon=3.547)  # no visit: points to its neighbours'
        # The longest name of Lozère, in the desk's commune lists: a select grows to its longest option.
        longest = make.commune("48144", name="Sainte-Croix-Vallée-Française", lat=44.192, lon=3.750)
        make.request(data["season"], longest, label="Atelier démarches")
        row = second.rows[0]
        ids = {"visit": public["ids"][1], "draft": second.id, "published": published.id, "van": data["van"].id,
               "season": data["season"].id, "request": data["plain"].id, "day": row.date.isoformat(),
               "sheet": f"{DESK}/versions/{second.id}/feuille/{row.van.slug}/{row.date.isoformat()}",
               "token": data["plain"].tracking_token}
        db.session.commit()
        with live_server(app) as url:
            yield {"url": url, **ids}

    def narrow_page(browser: Browser) -> Page:
        context = browser.new_context(viewport={"width": WIDTH, "height": 640})
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
                   else route.abort())
        return page

    def overflowing(page: Page, base: str, urls: list[str]) -> dict[str, Any]:
        found = {}
        for url in urls:
            page.goto(base + url)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            if width > WIDTH:
                found[url] = (width, page.evaluate(WIDEST))
        return found

    def test_every_public_page_reflows_at_320_px(browser: Browser, site: dict[str, Any]) -> None:
        page = narrow_page(browser)
        urls = ["/", "/recherche?q=m", "/calendrier", "/calendrier?vue=mois", "/calendrier?vue=liste", "/carte",
                f"/carte?jour={SOON}", "/carte/cadre", "/communes/48095", "/communes/48092", "/communes/48017",
                f"/visites/{site['visit']}", "/accessibilite", "/donnees", "/mentions-legales",
                "/page-qui-n-existe-pas", "/operateur/connexion"]
        found = {}
        for lang in ("fr", "en"):
            page.goto(site["url"] + f"/langue/{lang}")
            found.update({f"{lang} {k}": v for k, v in overflowing(page, site["url"], urls).items()})
        assert found == {}, pformat(found)

    def test_every_operator_page_reflows_at_320_px(browser: Browser, site: dict[str, Any]) -> None:
        page = narrow_page(browser)
        log_in(page, site["url"])
        rid, draft_id = site["request"], site["draft"]
        urls = [
            "/operateur/", "/operateur/demandes/", "/operateur/demandes/circuit", f"/operateur/demandes/{rid}",
            f"/operateur/demandes/{rid}/modifier", f"/operateur/demandes/{rid}/annuler",
            "/operateur/parametres/", f"/operateur/parametres/camions/{site['van']}",
            "/operateur/parametres/camions/nouveau", f"/operateur/parametres/saisons/{site['season']}",
            "/operateur/parametres/saisons/nouvelle",
            f"{DESK}/", f"{DESK}/saisons/s1", f"{DESK}/versions/{draft_id}",
            f"{DESK}/versions/{draft_id}?arret=truck-1-1", f"{DESK}/versions/{site['published']}",
            f"{DESK}/versions/{draft_id}/carte?jour={site['day']}", site["sheet"],
        ]
        found = overflowing(page, site["url"], urls)
        assert found == {}, pformat(found)

    def test_the_commune_pages_reflow_at_320_px(browser: Browser, site: dict[str, Any]) -> None:
        """The request form, the tracking page with a change waiting, the cancel and change pages
        (the form's own templates), in French and English."""
        page = narrow_page(browser)
        found = {}
        for lang in ("fr", "en"):
            page.goto(site["url"] + f"/langue/{lang}")
            urls = ["/demander", f"/suivi/{site['token']}", f"/suivi/{site['token']}/annuler",
                    f"/suivi/{site['token']}/modifier"]
            found.update({f"{lang} {k}": v for k, v in overflowing(page, site["url"], urls).items()})
        assert found == {}, pformat(found)

    def test_the_calendar_opens_as_a_list_on_a_small_screen_and_times_do_not_wrap(
            browser: Browser, site: dict[str, Any]) -> None:
        page = narrow_page(browser)
        page.goto(site["url"] + "/calendrier")
        assert page.locator(".cal-list").is_visible() and not page.locator("table.month").is_visible()
        # A time is one unbreakable run ("9 h 30" with non-breaking spaces), never "9 h / 30".
        listed = page.locator(".cal-list").inner_text()
        assert "9\u00a0h\u00a030" in listed and "9 h 30" not in listed
        # A wide screen still opens on the month grid.
        wide = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        wide.goto(site["url"] + "/calendrier")
        assert wide.locator("table.month").is_visible() and not wide.locator(".cal-list").is_visible()
        # On the desk's timeline at 320 px, every time range stays on one line.
        log_in(page, site["url"])
        page.goto(site["url"] + f"{DESK}/versions/{site['draft']}")
        times = page.locator(".seg .t")
        heights = {times.nth(i).inner_text(): times.nth(i).bounding_box()["height"] for i in range(times.count())}
        line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.seg .t')).lineHeight)")
        assert heights and all(h < 1.5 * line for h in heights.values()), heights
