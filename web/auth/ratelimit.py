"""Rate limits of the login and of the public request form, on the ``limits`` package.

Storage: in the process by default; shared through Redis when ``TOURPLAN_REDIS_URL`` is
set, so that every server process counts together (``limits`` updates Redis atomically,
with Lua scripts). **Without Redis each server process counts on its own**: with 4
workers, a limit of 5 lets up to 20 through. When Redis stops answering, the limits go on
per process (a warning in the log) rather than failing the page, and Redis is tried again
after :data:`REDIS_RETRY_SECONDS`.

Two tools:

* :meth:`SiteLimiter.hit` / :meth:`SiteLimiter.allowed` — "at most N per window" (a moving
  window) for a key, e.g. the form posts of one client address;
* :meth:`SiteLimiter.failure` / :meth:`SiteLimiter.wait_left` — progressive delays: after
  ``free`` failures in the window, each further failure makes the key wait longer
  (2 s, 4 s, 8 s ... up to ``max_delay``) before the next try. Nobody can lock a key out
  for long, yet guessing stays slow.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app
from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

#: How long the limits stay per process after Redis failed, before Redis is asked again.
REDIS_RETRY_SECONDS = 30.0
KEY_PREFIX = "tourplan-limits"

T = TypeVar("T")


class SiteLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        self._memory = MemoryStorage()
        self._shared: Storage | None = None
        if redis_url:
            # Short timeouts: a Redis that hangs must not hang the login page.
            self._shared = RedisStorage(redis_url, key_prefix=KEY_PREFIX, wrap_exceptions=True,
                                        socket_connect_timeout=0.5, socket_timeout=0.5)
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def shared(self) -> bool:
        """Whether the counts are currently shared between processes (Redis answering)."""
        return self._shared is not None and time.monotonic() >= self._down_until

    def _run(self, work: Callable[[Storage], T]) -> T:
        if self.shared:
            assert self._shared is not None
            try:
                return work(self._shared)
            except StorageError as e:
                with self._lock:
                    self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
                log.warning("rate limits: Redis does not answer (%s); counting in this process only for %d s",
                            e.storage_error, REDIS_RETRY_SECONDS)
        return work(self._memory)

    # "At most N per window" ------------------------------------------------------------
    def hit(self, key: str, limit: int, window: int) -> bool:
        """Record one event for ``key``; False when it goes beyond ``limit`` per ``window``
        seconds (the event is then not recorded)."""
        item = RateLimitItemPerSecond(limit, window)
        return self._run(lambda s: MovingWindowRateLimiter(s).hit(item, key))

    def allowed(self, key: str, limit: int, window: int) -> bool:
        """Whether one more event would stay within the limit (records nothing)."""
        item = RateLimitItemPerSecond(limit, window)
        return self._run(lambda s: MovingWindowRateLimiter(s).test(item, key))

    # Progressive delays -----------------------------------------------------------------
    def failure(self, key: str, *, free: int, window: int, max_delay: int) -> int:
        """Record a failure for ``key``; returns the seconds to wait before the next try."""

        def work(s: Storage) -> int:
            failures = s.incr(f"fail/{key}", window)
            if failures < free:
                return 0
            delay = min(2 ** min(failures - free + 1, 20), max_delay)
            s.clear(f"wait/{key}")
            s.incr(f"wait/{key}", delay)
            return delay

        return self._run(work)

    def wait_left(self, key: str) -> int:
        """Seconds ``key`` must still wait (0: it may try)."""

        def work(s: Storage) -> int:
            if not s.get(f"wait/{key}"):
                return 0
            return max(1, round(s.get_expiry(f"wait/{key}") - time.time()))

        return self._run(work)

    def forget(self, key: str) -> None:
        """A success: the failures of ``key`` no longer count."""

        def work(s: Storage) -> None:
            s.clear(f"fail/{key}")
            s.clear(f"wait/{key}")

        self._run(work)


def init_limiter(app: Flask) -> None:
    if "tourplan_limiter" not in app.extensions:
        app.extensions["tourplan_limiter"] = SiteLimiter(app.config.get("TOURPLAN_REDIS_URL"))


def limiter() -> SiteLimiter:
    return current_app.extensions["tourplan_limiter"]  # type: ignore[no-any-return]


def client_address() -> str:
    """The visitor's address. Behind reverse proxies, set ``TOURPLAN_PROXY_COUNT`` to their
    number (werkzeug's ProxyFix then reads that many ``X-Forwarded-For`` hops, and no more:
    a client cannot pick its own address by sending the header)."""
    from flask import request

    return request.remote_addr or "unknown"
