"""The read cache's breaker (core/circuit_breaker.py, as caching/store.py uses it): after a
failure Redis is skipped for CACHE_BREAKER_SECONDS, then one request probes while the others
keep skipping it, and however the probe ends it is given back."""

import threading
from typing import Any

import pytest

from caching import store
from caching.store import CacheUnavailable
from tests.conftest import requires_redis

pytestmark = requires_redis


class _Interrupted(BaseException):
    """Like the SystemExit a Gunicorn worker timeout raises in the middle of a call."""


def _window_passed() -> None:
    store.BREAKER._opened_at = (store.BREAKER._opened_at or 0) - store.BREAKER.open_seconds


def test_a_failure_skips_redis_for_the_configured_window(settings: Any) -> None:
    # given a window set after the breaker was made (settings are read when it opens)
    settings.CACHE_BREAKER_SECONDS = 60.0

    # when an operation fails
    store.BREAKER.trip("test", ConnectionError("down"))

    # then Redis is skipped, without being asked
    asked = []
    with pytest.raises(CacheUnavailable, match="skipped"):
        store.run("test", lambda redis: asked.append(redis))
    assert asked == []
    assert store.BREAKER.open_seconds == 60.0


def test_while_one_request_probes_the_others_keep_skipping_redis() -> None:
    # given an open breaker whose window has passed, and a probe that is still out
    store.BREAKER.trip("test", ConnectionError("down"))
    _window_passed()
    probing, release = threading.Event(), threading.Event()

    def slow_probe(redis: Any) -> Any:
        probing.set()
        release.wait(5)
        return redis.ping()

    prober = threading.Thread(target=store.run, args=("test", slow_probe))
    prober.start()
    try:
        assert probing.wait(5)
        # when another request comes meanwhile
        # then it skips Redis
        with pytest.raises(CacheUnavailable, match="skipped"):
            store.run("test", lambda redis: redis.ping())
    finally:
        release.set()
        prober.join(5)

    # and the probe's success closed the circuit
    assert not store.BREAKER.is_open
    assert store.run("test", lambda redis: redis.ping())


def test_a_probe_interrupted_by_a_base_exception_is_given_back() -> None:
    # given an open breaker whose window has passed
    store.BREAKER.trip("test", ConnectionError("down"))
    _window_passed()

    # when the probe is interrupted (neither an answer nor a Redis failure)
    def interrupted(redis: Any) -> Any:
        raise _Interrupted

    with pytest.raises(_Interrupted):
        store.run("test", interrupted)

    # then the circuit stays open, but the next request probes at once and closes it
    assert store.BREAKER.is_open
    assert store.run("test", lambda redis: redis.ping())
    assert not store.BREAKER.is_open


def test_a_probe_that_fails_with_a_bug_is_given_back_too() -> None:
    store.BREAKER.trip("test", ConnectionError("down"))
    _window_passed()

    with pytest.raises(ZeroDivisionError):
        store.run("test", lambda redis: 1 / 0)

    assert store.run("test", lambda redis: redis.ping())
    assert not store.BREAKER.is_open
