"""Addresses of the site: the canonical public address, absolute links, safe redirects.

Every absolute link the site hands out (webcal:// subscriptions, feed URLs and UIDs, QR
codes, tracking links, later the mails) is built from the configured canonical address
``TOURPLAN_BASE_URL``, never from the request's ``Host`` header: a forged ``Host`` cannot
end up in a cached page or a calendar, and the same links come out of a request, a CLI
command or a background worker.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.routing import IntegerConverter, Map

#: For local use (``flask run``); a real site sets its own address.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def check_base_url(url: str) -> str:
    """The base URL without its trailing slash; ValueError naming what is wrong."""
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"TOURPLAN_BASE_URL={url!r}: an http(s) address is expected, e.g. https://tournees.example.fr")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"TOURPLAN_BASE_URL={url!r}: no query, fragment nor credentials in the site's address")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
        parts.hostname.encode("idna")
    except (ValueError, UnicodeError) as e:
        raise ValueError(f"TOURPLAN_BASE_URL={url!r}: {e}") from None
    return url


def base_url() -> str:
    """The canonical public address, e.g. ``https://tournees.example.fr`` (no trailing slash)."""
    return str(current_app.config.get("TOURPLAN_BASE_URL") or DEFAULT_BASE_URL)


def canonical_host() -> str:
    """The canonical host name (no port), e.g. for calendar UIDs."""
    return urlsplit(base_url()).hostname or "localhost"


def absolute_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL on the canonical address. Works with
    or without a request (a mail worker, a CLI command); raises werkzeug's BuildError for an
    endpoint that does not exist, like url_for."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def visit_page_url(visit_id: int, *, external: bool = False) -> str | None:
    """A visit's public page (absolute with ``external``); None when the public site is not
    installed (a desk-only deployment)."""
    if "public.visit" not in current_app.view_functions:
        return None
    if external:
        return absolute_url("public.visit", visit_id=visit_id)
    return url_for("public.visit", visit_id=visit_id)


def safe_local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None: no scheme, no host, no
    ``//host`` nor ``/\\host`` trick, and no control character (browsers drop tabs and
    newlines, so ``/%09/evil.example`` would become ``//evil.example``)."""
    if not target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    target = target.strip(" ")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


#: The largest id the databases store (a 32-bit INTEGER on PostgreSQL): a larger number in
#: an address names nothing, and PostgreSQL would refuse to even compare it.
DB_INT_MAX = 2**31 - 1


def int_param(text: str | None, *, lo: int = 0, hi: int = DB_INT_MAX) -> int | None:
    """An integer typed in plain ASCII digits within [lo, hi], else None. (``str.isdigit``
    accepts "²" and "٣", which ``int`` then refuses or reads as a different number.)"""
    text = (text or "").strip()
    if not text or len(text) > 12 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` in routes, limited to the databases' integer range (404 beyond)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)
