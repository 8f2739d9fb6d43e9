"""The requests area listens to its own lifecycle: a request that leaves the statuses a
commune may change (cancelled, declined, done) withdraws its pending change."""

from __future__ import annotations

from web.core import signals
from web.requests.changes import close_pending


def connect() -> None:
    # blinker keeps one connection per receiver: connecting again (one app per test) is harmless.
    signals.request_status_changed.connect(close_pending)
