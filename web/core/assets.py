"""Static files cached for a year, and responses compressed (Flask-Compress).

Cache: ``url_for('static', ...)`` (and every blueprint's static) adds ``?v=<digest of the
file>``; a request carrying the file's current digest gets ``max-age`` one year and
``immutable``, so browsers never ask again, and a changed file has a new address.
Vendored libraries live in versioned folders (``leaflet-1.9.4``) and are immutable too.
Anything else static gets an hour.

Compression: brotli or gzip for text types, as the browser accepts. The compressed body of
a response with a strong ETag (cached public pages, feeds, static files) is kept in a small
LRU keyed by path and ETag, so a cached page is compressed once per publication, not once
per request (a 1 MB feed takes tens of milliseconds to compress).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from flask_compress import Compress

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
SHORT = "public, max-age=3600"
COMPRESSED_TYPES = ("text/html", "text/css", "text/plain", "text/calendar", "text/javascript",
                    "application/javascript", "application/json", "image/svg+xml")
compress = Compress()


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSED_TYPES))
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_CACHE_BACKEND", lambda: CompressedBodies(256))
    app.config.setdefault("COMPRESS_CACHE_KEY", _cache_key)
    compress.init_app(app)
    # Registered after Compress: Flask runs after_request hooks last-registered first, so
    # this one sees the response before it is compressed.
    app.after_request(_prepare)
    app.url_defaults(_static_version)


class CompressedBodies:
    """Flask-Compress's cache: an LRU of compressed bodies; keys without an ETag part
    (responses that may differ at each request) are never stored."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        if key.endswith(";"):
            return None
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";"):
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


#: Where the key of this response's compressed copy is kept: on the request itself (``g``
#: lives as long as the app context, which may span several requests in scripts and tests).
KEY = "tourplan.compress_key"


def _cache_key(req: Any) -> str:
    return req.environ.get(KEY, "")


def asks_compressed() -> bool:
    """Whether this request's answer is compressed (the client accepts one of our codings).
    A file's answer then needs its bytes: Flask-Compress compresses a file stream again at
    each request, bytes once (their compressed copy is kept)."""
    accepted = request.headers.get("Accept-Encoding", "")
    return "br" in accepted or "gzip" in accepted


def _is_static(endpoint: str | None) -> bool:
    return bool(endpoint) and (endpoint == "static" or endpoint.endswith(".static"))  # type: ignore[union-attr]


def _prepare(response: Response) -> Response:
    etag, weak = response.get_etag()
    if etag and not weak and response.status_code == 200:
        request.environ[KEY] = f"{request.path}|{etag}"
    if _is_static(request.endpoint) and response.status_code in (200, 304):
        wanted = request.args.get("v")
        immutable = "/vendor/" in request.path or (wanted is not None and wanted == _digest_of(request.endpoint,
                                                                                               request.view_args))
        response.headers["Cache-Control"] = IMMUTABLE if immutable else SHORT
        if response.status_code == 200 and response.direct_passthrough and asks_compressed():
            # A file is sent as a stream, which Flask-Compress would compress again at each
            # request: read it (small, and in the OS cache) so its compressed copy is kept.
            response.direct_passthrough = False
            response.set_data(response.get_data())
    return response


_digests: dict[tuple[str, float], str] = {}


def _static_folder(endpoint: str) -> str | None:
    app = current_app
    if endpoint == "static":
        return app.static_folder
    bp = app.blueprints.get(endpoint.rsplit(".", 1)[0])
    return bp.static_folder if bp is not None else None


def _digest_of(endpoint: str | None, values: dict[str, Any] | None) -> str | None:
    if not endpoint or not values or "filename" not in values:
        return None
    folder = _static_folder(endpoint)
    if folder is None:
        return None
    path = Path(folder) / str(values["filename"])
    try:
        if not path.resolve().is_relative_to(Path(folder).resolve()) or not path.is_file():
            return None
        mtime = path.stat().st_mtime
    except OSError:
        return None
    key = (str(path), mtime)
    digest = _digests.get(key)
    if digest is None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        _digests[key] = digest
    return digest


def _static_version(endpoint: str, values: dict[str, Any]) -> None:
    if _is_static(endpoint) and "v" not in values:
        digest = _digest_of(endpoint, values)
        if digest:
            values["v"] = digest
