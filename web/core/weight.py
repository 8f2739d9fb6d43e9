"""What a page costs a visitor on the wire: the page, its frames, stylesheets, scripts and
images of the same site, each fetched once as a browser that accepts brotli would (tiles
of the map's background, from elsewhere, are not counted). Used by the page-weight test
and ``bench.public``."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

_REFS = re.compile(r'''<(?:link[^>]+href|script[^>]+src|iframe[^>]+src|img[^>]+src)=["']([^"']+)["']''', re.I)
_CSS_URLS = re.compile(r'url\(["\']?([^"\')]+)["\']?\)')


def page_weight(client: Any, url: str, *, encoding: str = "br, gzip") -> dict[str, int]:
    """Bytes transferred per same-site resource of ``url`` (a Flask test client)."""
    seen: dict[str, int] = {}
    todo = [url]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        r = client.get(current, headers={"Accept-Encoding": encoding})
        if r.status_code != 200:
            raise AssertionError(f"{current}: HTTP {r.status_code}")
        seen[current] = len(r.data)
        text = r.get_data(as_text=False)
        if r.headers.get("Content-Encoding"):
            text = _decoded(text, r.headers["Content-Encoding"])
        body = text.decode("utf-8", "replace")
        refs = []
        if r.mimetype == "text/html":
            refs = [unescape(m) for m in _REFS.findall(body)]
        elif r.mimetype == "text/css":
            refs = [m for m in _CSS_URLS.findall(body) if not m.startswith("data:")]
        for ref in refs:
            target = urljoin(current, ref)
            parts = urlsplit(target)
            if parts.scheme in ("", "http") and parts.netloc in ("", "localhost"):
                todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


def _decoded(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    if encoding == "gzip":
        import gzip

        return gzip.decompress(data)
    return data
