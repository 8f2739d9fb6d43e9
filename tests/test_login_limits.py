"""Login limits (issue 9): an address and an account are limited apart, an account only
slows down, X-Forwarded-For counts only behind configured proxies, and a Redis that does
not answer degrades to per-process limits instead of a 500."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from tests.conftest import AuthActions
from tests.test_auth import PASSWORD, add_operator
from tests.test_request_form import count_requests, valid_data, world  # noqa: F401  (fixture)

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _from(address: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _login(client: Any, address: str, password: str = PASSWORD, email: str = "ops@example.fr",
           headers: dict[str, str] | None = None) -> Any:
    return AuthActions(client).login(email, password, headers=headers or {}, **_from(address))


def test_an_attacked_account_slows_down_but_is_never_locked_out(make_app: Any) -> None:
    app = make_app(TOURPLAN_LOGIN_MAX_FAILURES=2, TOURPLAN_LOGIN_MAX_DELAY_SECONDS=1)
    add_operator(app)
    client = app.test_client()
    for i in range(6):  # from six addresses: the per-address limit never triggers
        _login(client, f"192.0.2.{i}", password="wrong password")
    delayed = _login(app.test_client(), "198.51.100.7")
    assert delayed.status_code == 429
    assert 1 <= int(delayed.headers["Retry-After"]) <= 2
    assert "Réessayez dans" in delayed.get_data(as_text=True)
    time.sleep(2.1)  # the delay is capped: the operator gets in once it has passed
    assert _login(app.test_client(), "198.51.100.7").status_code == 302


def test_delays_grow_with_the_failures(make_app: Any) -> None:
    from web.auth.ratelimit import SiteLimiter

    limiter = SiteLimiter()
    delays = [limiter.failure("k", free=3, window=900, max_delay=60) for _ in range(10)]
    assert delays == [0, 0, 2, 4, 8, 16, 32, 60, 60, 60]
    assert 55 <= limiter.wait_left("k") <= 60
    limiter.forget("k")
    assert limiter.wait_left("k") == 0


def test_a_flooding_address_is_blocked_alone(make_app: Any) -> None:
    app = make_app(TOURPLAN_LOGIN_ADDRESS_MAX_FAILURES=3)
    add_operator(app)
    client = app.test_client()
    for i in range(3):  # three different accounts: only the address adds up
        assert _login(client, "203.0.113.9", email=f"guess{i}@example.fr").status_code == 200
    blocked = _login(client, "203.0.113.9")
    assert blocked.status_code == 429 and "depuis votre adresse" in blocked.get_data(as_text=True)
    assert _login(app.test_client(), "203.0.113.10").status_code == 302


def test_x_forwarded_for_is_ignored_unless_proxies_are_configured(make_app: Any) -> None:
    app = make_app(TOURPLAN_LOGIN_ADDRESS_MAX_FAILURES=2)
    add_operator(app)
    client = app.test_client()
    for i in range(2):
        _login(client, "203.0.113.9", password="bad", email=f"x{i}@example.fr",
               headers={"X-Forwarded-For": f"10.0.0.{i}"})
    # Changing the header does not make the client someone else.
    assert _login(client, "203.0.113.9", headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 429


def test_behind_a_configured_proxy_each_client_counts_apart(make_app: Any) -> None:
    app = make_app(TOURPLAN_LOGIN_ADDRESS_MAX_FAILURES=2, TOURPLAN_PROXY_COUNT=1)
    add_operator(app)
    proxy = "127.0.0.1"
    client = app.test_client()
    for i in range(2):
        _login(client, proxy, password="bad", email=f"x{i}@example.fr", headers={"X-Forwarded-For": "10.0.0.1"})
    assert _login(client, proxy, headers={"X-Forwarded-For": "10.0.0.1"}).status_code == 429
    # Another visitor behind the same proxy is not blocked by the first one.
    assert _login(app.test_client(), proxy, headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 302
    # Only the last hop (the one our proxy added) is trusted: a forged first hop changes nothing.
    forged = _login(app.test_client(), proxy, headers={"X-Forwarded-For": "10.0.0.2, 10.0.0.1"})
    assert forged.status_code == 429


def test_a_bad_proxy_count_stops_the_start(make_app: Any) -> None:
    with pytest.raises(ValueError, match="TOURPLAN_PROXY_COUNT"):
        make_app(TOURPLAN_PROXY_COUNT="two")


def test_redis_down_degrades_the_login_to_per_process_limits(make_app: Any, caplog: Any) -> None:
    app = make_app(TOURPLAN_REDIS_URL=DEAD_REDIS, TOURPLAN_LOGIN_ADDRESS_MAX_FAILURES=2)
    add_operator(app)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="web.auth.ratelimit"):
        assert _login(client, "192.0.2.1", password="bad").status_code == 200
    assert "Redis does not answer" in caplog.text
    _login(client, "192.0.2.1", password="bad")
    assert _login(client, "192.0.2.1").status_code == 429  # still limited, in this process
    assert AuthActions(app.test_client()).login().status_code == 302


def test_redis_down_keeps_the_public_form_working(make_app: Any, world: dict[str, Any]) -> None:  # noqa: F811
    app = make_app(TOURPLAN_REDIS_URL=DEAD_REDIS, TOURPLAN_REQUEST_MAX_STORED=1)
    client = app.test_client()
    assert client.post("/demander", data=valid_data(world)).status_code == 302
    assert client.post("/demander", data=valid_data(world)).status_code == 429
    assert count_requests(app) == 1
