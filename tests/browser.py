"""What the browser tests share: Debian's Chromium driven by Playwright, the site served
for real by werkzeug in a thread, pages that record what went wrong, and axe-core.

The browser itself is the session fixture ``browser`` in ``tests/conftest.py``. Browser
test modules define their tests under ``if HAVE_CHROMIUM:`` so that where Chromium is
missing they are simply not collected (never skipped); browsers are never downloaded
(CI installs them: ``apt-get install -y chromium``). Nothing here imports Playwright or
werkzeug at import time, so machines without them still collect every other test.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Container, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
# Headless and quiet: no GPU, no update/sync/background traffic leaving the machine.
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
HAVE_CHROMIUM = bool(shutil.which(CHROMIUM) or Path(CHROMIUM).exists())
LOCAL = "http://127.0.0.1:"


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free local port in a thread; yields its base URL (no trailing slash).
    Threaded, because a page loads its assets in parallel."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{LOCAL}{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(5)
        httpd.server_close()


def new_page(
    browser: Browser,
    *,
    bypass_csp: bool = False,
    javascript: bool = True,
    offline: bool = True,
    outside: list[tuple[str, str | None]] | None = None,
    console_errors: bool = True,
    ignore_console: tuple[str, ...] = (),
    http_errors_except: Container[int] | None = None,
) -> tuple[Page, list[str]]:
    """A page in a fresh context and the list of problems it meets: uncaught page errors
    and dialogs (an XSS would open one) always.

    ``bypass_csp`` only to inject axe-core, which our policy rightly blocks.
    ``offline``: the page may only reach our server (like a rural server room); other
    requests are aborted, and recorded as (URL, Referer) in ``outside`` when given.
    ``console_errors``: console errors count too, except those containing a string of
    ``ignore_console``. ``http_errors_except``: when given, every HTTP answer >= 400 counts
    except these statuses (and the favicon the browser asks for by itself).
    """
    page = browser.new_context(bypass_csp=bypass_csp, java_script_enabled=javascript).new_page()
    problems: list[str] = []
    if console_errors:
        page.on(
            "console",
            lambda m: (
                problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" and not any(s in m.text for s in ignore_console)
                else None
            ),
        )
    if http_errors_except is not None:
        allowed = http_errors_except
        page.on(
            "response",
            lambda r: (
                problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and r.status not in allowed and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))

    def only_local(route: Route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            if outside is not None:
                outside.append((route.request.url, route.request.all_headers().get("referer")))
            route.abort()

    if offline:
        page.route("**/*", only_local)
    return page, problems


def axe_violations(page: Page, *, iframes: bool = False) -> list[str]:
    """axe-core's violations on the page, one line each (rule, impact, elements).
    ``iframes``: also check inside frames (the map's frame is checked as a page of its own)."""
    page.add_script_tag(path=str(AXE))
    options = "{resultTypes: ['violations']}" if iframes else "{iframes: false, resultTypes: ['violations']}"
    return list(page.evaluate(
        f"async () => (await axe.run(document, {options})).violations"
        ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(' | '))"
    ))


def log_in(page: Page, base: str, email: str = "ops@example.fr") -> None:
    """Log the operator ``email`` in through the login form, as a person does; waits for the
    desk's home page, where a successful login leads (a refused one stays on the form)."""
    from tests.desk_helpers import PASSWORD

    page.goto(base + "/operateur/connexion")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(base + "/operateur/")


def fill_request_form(page: Page, first: date, last: date) -> None:
    """Fill the public request form (already open) as Mende's town hall asks for the first
    activity of the catalogue between ``first`` and ``last``; the site must have Mende
    (tests/request_helpers.py: ``open_season``). Sending it is the caller's."""
    page.fill("#commune", "Mende (48000) – 48095")
    page.select_option("#structure_kind", "mairie")
    page.fill("#contact_name", "Jeanne Martin")
    page.fill("#email", "jeanne@mairie-mende.fr")
    page.fill("#phone", "04 66 49 12 34")
    page.check("#activity-0")
    page.fill("#periods-0-start", first.isoformat())
    page.fill("#periods-0-end", last.isoformat())
