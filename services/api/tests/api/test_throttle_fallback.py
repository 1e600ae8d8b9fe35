"""Limits that hold: the strict throttle counts per process when Redis cannot be reached (the
others fail open), and a zero rate blocks instead of erroring into "allow"."""

from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from core import throttle_fallback, throttling
from core.throttle_fallback import LocalSlidingWindow
from tests.api.test_errors import assert_envelope
from tests.api.test_throttling import _fire, rates, running_gunicorn
from tests.caching.conftest import free_port, redis_server_binary, start_redis
from tests.conftest import requires_postgres, requires_redis
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _fresh_local_window() -> Iterator[None]:
    throttle_fallback.LOCAL.clear()
    yield
    throttle_fallback.LOCAL.clear()


@pytest.fixture
def redis_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """The throttles' script bound to a Redis that does not answer (nothing listens there)."""
    dead = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2)
    monkeypatch.setattr(
        throttling.SharedRateThrottle, "_script", dead.register_script(throttling._SLIDING_WINDOW)
    )


def _fallbacks(scope: str, decision: str) -> float:
    value = REGISTRY.get_sample_value(
        "throttle_store_fallback_total", {"scope": scope, "decision": decision}
    )
    return value or 0.0


def _login(client: APIClient, username: str) -> int:
    response = client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    return int(response.status_code)


@requires_redis
@pytest.mark.django_db
class TestRedisDown:
    def test_login_beyond_the_strict_rate_is_refused(self, redis_down: None) -> None:
        # Given Redis cannot be reached and a strict rate of 3 a minute
        user = UserFactory()
        client = APIClient()
        refused_before = _fallbacks("strict", "refused_local")
        with rates(strict="3/minute"):
            # When one address tries to log in five times
            statuses = [_login(client, user.username) for _ in range(5)]
            refused = client.post("/api/v1/auth/token/", {"username": user.username})

        # Then the fourth and later attempts are refused, with Retry-After, and counted
        assert statuses == [200, 200, 200, 429, 429]
        assert_envelope(refused, 429, "throttled")
        assert int(refused["Retry-After"]) > 0
        assert _fallbacks("strict", "refused_local") == refused_before + 3

    def test_another_address_has_its_own_local_budget(self, redis_down: None) -> None:
        user = UserFactory()
        with rates(strict="1/minute"):
            first = APIClient()
            assert [_login(first, user.username) for _ in range(2)] == [200, 429]
            assert _login(APIClient(REMOTE_ADDR="10.1.2.3"), user.username) == 200

    def test_the_general_throttles_still_fail_open(self, redis_down: None) -> None:
        allowed_before = _fallbacks("anon", "allowed_open")
        with rates(anon="1/minute"):
            statuses = [
                APIClient().post("/api/v1/auth/token/verify/", {"token": "x"}).status_code
                for _ in range(3)
            ]
        assert statuses == [401, 401, 401]
        assert _fallbacks("anon", "allowed_open") == allowed_before + 3


@pytest.mark.django_db
class TestZeroRate:
    def test_a_zero_rate_blocks(self) -> None:
        user = UserFactory()
        with rates(strict="0/minute"):
            response = APIClient().post(
                "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}
            )
        assert_envelope(response, 429, "throttled")
        assert int(response["Retry-After"]) > 0


class TestLocalSlidingWindow:
    def test_the_window_slides(self) -> None:
        window = LocalSlidingWindow()
        assert window.allow("a", 2, 60, now=0.0) == (True, 0.0)
        assert window.allow("a", 2, 60, now=1.0) == (True, 0.0)
        assert window.allow("a", 2, 60, now=2.0) == (False, 58.0)
        assert window.allow("a", 2, 60, now=60.5)[0] is True

    def test_memory_is_bounded_by_the_keys_it_remembers(self) -> None:
        window = LocalSlidingWindow(max_keys=3)
        for key in "abcd":
            window.allow(key, 1, 60, now=0.0)
        # "a", the least recently seen, was forgotten (and so allowed again)
        assert window.allow("a", 1, 60, now=1.0)[0] is True
        assert window.allow("d", 1, 60, now=1.0)[0] is False

    def test_zero_limit_refuses(self) -> None:
        assert LocalSlidingWindow().allow("a", 0, 60, now=0.0)[0] is False


def test_the_strict_scope_is_the_default_fail_closed_one(settings: Any) -> None:
    assert set(settings.THROTTLE_FAIL_CLOSED_SCOPES) == {"strict"}


@pytest.mark.skipif(redis_server_binary() is None, reason="redis-server is not installed")
@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_gunicorn_workers_refuse_logins_beyond_the_strict_rate_while_redis_is_down() -> None:
    # Given two Gunicorn workers whose Redis (a private redis-server) dies after they started
    port = free_port()
    server = start_redis(port)
    try:
        with running_gunicorn(f"redis://127.0.0.1:{port}/0") as base:
            server.kill()
            server.wait(timeout=10)

            # When 16 login attempts from one address arrive at once (strict rate 5/minute)
            url = f"{base}/api/v1/auth/token/"
            statuses = _fire(
                16,
                lambda: (
                    requests.post(
                        url, json={"username": "nobody", "password": "x"}, timeout=10
                    ).status_code
                ),
            )
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)

    # Then each worker lets at most the rate through (it counts on its own), the rest are 429:
    # not the 16 of a throttle that fails open
    assert set(statuses) <= {401, 429}
    assert 5 <= statuses[401] <= 10
    assert statuses[429] == 16 - statuses[401]
