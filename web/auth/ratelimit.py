"""A small fixed-window rate limiter: in the process by default, shared through Redis
when ``TOURPLAN_REDIS_URL`` is set (several app processes then count together).

Used for failed logins and for the public request form. ``count`` never records;
``hit`` records one event. Keys are namespaced by the caller (``"login-ip:1.2.3.4"``).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from typing import Any

from flask import Flask, current_app


class MemoryLimiter:
    def __init__(self) -> None:
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, window: float, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - window:
            events.popleft()
        return events

    def count(self, key: str, window: float) -> int:
        with self._lock:
            events = self._trim(key, window, time.monotonic())
            if not events:
                self._events.pop(key, None)
            return len(events)

    def hit(self, key: str, window: float) -> int:
        with self._lock:
            now = time.monotonic()
            events = self._trim(key, window, now)
            events.append(now)
            # Bound the memory a flood of distinct keys can take.
            if len(self._events) > 50_000:
                self._events = {k: v for k, v in self._events.items() if v and v[-1] > now - window}
            return len(events)

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


class RedisLimiter:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    def _name(self, key: str) -> str:
        return "tourplan:rl:" + key

    def count(self, key: str, window: float) -> int:
        name = self._name(key)
        self._redis.zremrangebyscore(name, 0, time.time() - window)
        return int(self._redis.zcard(name))

    def hit(self, key: str, window: float) -> int:
        name = self._name(key)
        now = time.time()
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(name, 0, now - window)
        pipe.zadd(name, {f"{now:.6f}:{secrets.token_hex(6)}": now})  # unique member per event
        pipe.zcard(name)
        pipe.expire(name, int(window) + 1)
        return int(pipe.execute()[2])

    def reset(self, key: str) -> None:
        self._redis.delete(self._name(key))


def init_limiter(app: Flask) -> None:
    if "tourplan_limiter" in app.extensions:
        return
    url = app.config.get("TOURPLAN_REDIS_URL")
    app.extensions["tourplan_limiter"] = RedisLimiter(url) if url else MemoryLimiter()


def limiter() -> Any:
    return current_app.extensions["tourplan_limiter"]


def client_address() -> str:
    """The visitor's address. Behind a reverse proxy, wrap the app in werkzeug's
    ProxyFix so this is the real client and not the proxy."""
    from flask import request

    return request.remote_addr or "unknown"
