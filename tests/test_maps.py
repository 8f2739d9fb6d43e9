"""The folium map builder: local assets only, escaped texts, nonces everywhere."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tourplan.maps import MapError, MapOptions, MapPoint, MapRoute, build_map, popup_html

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
XSS = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def points(n: int) -> list[MapPoint]:
    return [MapPoint(44.5 + i * 0.01, 3.5, f"Commune {i}", ("1 juil. 09:30–11:30",), f"/communes/480{i:02d}")
            for i in range(n)]


def test_every_asset_is_served_by_the_app_and_exists() -> None:
    page = build_map(points(40), [MapRoute(((44.5, 3.5), (44.6, 3.6)), "Van 1")])
    urls = [a.get("src") or a.get("href") for t, a in tags_of(page) if t in ("script", "link")]
    urls = [u for u in urls if u]
    assert urls, "the map links no asset at all"
    for url in urls:
        assert url.startswith("/static/vendor/"), url
        assert (STATIC / url.removeprefix("/static/")).is_file(), url
    assert "jquery" not in page.lower() and "cdn" not in page.lower()


def test_few_points_are_not_clustered_many_are() -> None:
    assert "markercluster" not in build_map(points(3))
    dense = build_map(points(40))
    assert "L.markerClusterGroup" in dense
    assert dense.count("L.marker(") == 40


def test_route_is_drawn_as_a_line_through_its_points() -> None:
    page = build_map(points(2), [MapRoute(((44.5, 3.5), (44.7, 3.1), (44.5, 3.5)), "Van A, mardi")])
    [poly] = re.findall(r"L\.polyline\(\s*(\[.*?\]\]),", page, re.S)
    assert json.loads(poly) == [[44.5, 3.5], [44.7, 3.1], [44.5, 3.5]]


def test_texts_reach_popups_escaped_and_never_as_markup() -> None:
    p = MapPoint(44.5, 3.5, XSS, (XSS,), "/visites/1?a=1&b=\"2\"", link_text=XSS)
    page = build_map([p], [MapRoute(((44.5, 3.5), (44.6, 3.6)), XSS)])
    # Nothing of the hostile text appears raw anywhere in the document.
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "'x'" not in page
    # The popup, once decoded from its JSON string, is the escaped HTML.
    [raw] = re.findall(r"\.bindPopup\((\".*?\")\);", page)
    shown = json.loads(raw)
    assert shown == popup_html(p)
    assert "&lt;script&gt;" in shown and "<script" not in shown and "<img" not in shown
    assert 'href="/visites/1?a=1&amp;b=&quot;2&quot;"' in shown
    # The only tags the document has are the ones we expect (no injected ones).
    expected = {"html", "head", "meta", "title", "script", "link", "style", "body", "main", "h1", "div"}
    assert {t for t, _ in tags_of(page)} <= expected


def test_every_script_and_style_carries_the_nonce() -> None:
    page = build_map(points(30), [MapRoute(((44.5, 3.5), (44.6, 3.6)))], nonce="abc123")
    tagged = [(t, a) for t, a in tags_of(page) if t in ("script", "style") or (t == "link" and a.get("rel"))]
    assert len(tagged) >= 6
    for tag, attrs in tagged:
        assert attrs.get("nonce") == "abc123", (tag, attrs)


def test_document_is_accessible_in_its_frame() -> None:
    page = build_map(points(1), options=MapOptions(lang="en", title="Tour map"))
    tags = tags_of(page)
    assert ("html", {"lang": "en"}) in tags
    assert "<title>Tour map</title>" in page
    # A document of its own inside the iframe: a main landmark with a heading.
    assert re.search(r"<main>\s*<h1 [^>]*>Tour map</h1>.*<div class=\"folium-map\".*</main>", page, re.S)
    [viewport] = [a["content"] for t, a in tags if t == "meta" and a.get("name") == "viewport"]
    assert "user-scalable=no" not in viewport and "maximum-scale" not in viewport


def test_tiles_carry_the_openstreetmap_attribution_and_can_be_left_out() -> None:
    with_tiles = build_map(points(1))
    assert "tile.openstreetmap.org" in with_tiles
    assert "openstreetmap.org/copyright" in with_tiles
    assert "tile.openstreetmap.org" not in build_map(points(1), options=MapOptions(tiles=False))


@pytest.mark.parametrize(
    ("pts", "routes", "message"),
    [
        ([MapPoint(91.0, 3.5, "Nowhere")], [], "point 'Nowhere'"),
        ([], [MapRoute(((44.5, 3.5), (44.5, 190.0)), "Van B")], "route 'Van B'"),
    ],
)
def test_impossible_coordinates_are_refused(pts: list[MapPoint], routes: list[MapRoute], message: str) -> None:
    with pytest.raises(MapError, match=message):
        build_map(pts, routes)


def test_nonce_cannot_break_out_of_its_attribute() -> None:
    with pytest.raises(MapError, match="nonce"):
        build_map(points(1), nonce='x" onload="alert(1)')
