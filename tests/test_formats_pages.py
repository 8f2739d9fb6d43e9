"""One format for times, dates and numbers on the pages people read: "9 h 30", "1er mars",
"5 521,0 km" in French; never the "09:30" or "5521.0" of a program."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient

from tests.test_public_pages import tour  # noqa: F401 — the published tour the pages show

CLOCK = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?![\d:])")  # "09:30", "9:30"
POINT_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")  # "5521.0", "44.5"


class VisibleText(HTMLParser):
    """What a reader sees: text outside scripts and styles (attribute values left out)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.hidden = 0
        self.chunks: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.chunks.append(data)


def _program_numbers(client: FlaskClient, url: str) -> list[str]:
    r = client.get(url)
    assert r.status_code == 200, url
    text = " ".join(VisibleText(r.get_data(as_text=True)).chunks)
    return CLOCK.findall(text) + POINT_DECIMAL.findall(text)


def test_public_and_tracking_pages_write_times_and_numbers_the_french_way(
        client: FlaskClient, tour: dict[str, Any]) -> None:  # noqa: F811
    req = tour["tour"].requests["mende"]
    urls = ["/", "/calendrier", "/calendrier?vue=liste", "/communes/48095", f"/visites/{tour['ids'][1]}",
            "/carte", f"/suivi/{req.tracking_token}", "/demander"]
    found = {url: _program_numbers(client, url) for url in urls}
    assert found == {url: [] for url in urls}
    text = " ".join(VisibleText(client.get(f"/visites/{tour['ids'][1]}").get_data(as_text=True)).chunks)
    assert "9\u00a0h\u00a030" in text  # the visit starts at 9 h 30


def test_english_pages_use_english_times(client: FlaskClient, tour: dict[str, Any]) -> None:  # noqa: F811
    client.get("/langue/en")
    text = " ".join(VisibleText(client.get(f"/visites/{tour['ids'][1]}").get_data(as_text=True)).chunks)
    assert "09:30" in text and " h " not in text.replace("\u00a0", " ")


def test_durations_read_as_each_language_writes_them() -> None:
    from web.core.formats import minutes_text

    def plain(text: str) -> str:
        return text.replace("\u00a0", " ")

    assert [plain(minutes_text(m)) for m in (45, 120, 65, 90)] == ["45 min", "2 h", "1 h 05", "1 h 30"]
    assert [plain(minutes_text(m, "en")) for m in (45, 120, 65, 90)] == ["45 min", "2 hr", "1 hr 5 min", "1 hr 30 min"]
