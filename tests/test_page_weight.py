"""The heaviest public page, the map, weighs under 200 KB on the wire with 2,000 published
visits (it was 320 KB before tiles, uncompressed): responses and static files are
compressed, and static files carry a version so browsers keep them for a year."""

from __future__ import annotations

import re
from typing import Any

from bench.public import build
from web.core.weight import page_weight

BUDGET = 200_000


def test_the_map_page_with_two_thousand_visits_weighs_under_200_kb(app: Any, db_session: Any) -> None:
    build(app, 2000)
    client = app.test_client()
    weight = page_weight(client, "/carte")
    assert "/carte/cadre" in weight and any("leaflet.js" in url for url in weight)  # the frame and its assets
    assert sum(weight.values()) < BUDGET, weight
    # The same without compression is well over the budget: compression is what keeps it light.
    assert sum(page_weight(client, "/carte", encoding="identity").values()) > BUDGET


def test_static_files_are_cached_for_a_year_under_a_versioned_address(client: Any) -> None:
    html = client.get("/accessibilite").get_data(as_text=True)
    css = re.search(r'href="(/static/css/site\.css\?v=\w+)"', html).group(1)
    r = client.get(css)
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # An old or missing version is not promised for a year (the file may have changed).
    assert client.get("/static/css/site.css?v=ancienne").headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/static/css/site.css").headers["Cache-Control"] == "public, max-age=3600"
    # Vendored libraries live in versioned folders: immutable as they are.
    leaflet = client.get("/static/vendor/leaflet-1.9.4/leaflet.js")
    assert leaflet.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_responses_are_compressed_for_browsers_that_accept_it_and_304_still_works(client: Any) -> None:
    plain = client.get("/static/vendor/leaflet-1.9.4/leaflet.js")
    packed = client.get("/static/vendor/leaflet-1.9.4/leaflet.js", headers={"Accept-Encoding": "br, gzip"})
    assert packed.headers["Content-Encoding"] == "br" and len(packed.data) < len(plain.data) / 3
    assert "Accept-Encoding" in packed.headers["Vary"]
    gz = client.get("/accessibilite", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    again = client.get("/static/vendor/leaflet-1.9.4/leaflet.js",
                       headers={"Accept-Encoding": "br, gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
