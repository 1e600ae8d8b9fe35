"""Fixtures of the caching tests: metric deltas, a clean breaker, and helpers for processes."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from prometheus_client import REGISTRY

from caching import generations, store
from harness import ProcessStartError, free_port, start_redis_server, wait_until

__all__ = ["free_port"]  # the caching tests' processes take their ports from the harness

API_DIR = Path(__file__).resolve().parents[2]
REPO = API_DIR.parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python")

# Every cache named in the settings (its timeout there, its `cache` label in the metrics).
CACHES_NAMES = tuple(settings.CACHE_TIMEOUTS)


def cache_count(cache: str, result: str) -> float:
    value = REGISTRY.get_sample_value("cache_requests_total", {"cache": cache, "result": result})
    return value or 0.0


class Lookups:
    """cache_requests_total since the fixture started, per cache and result."""

    def __init__(self) -> None:
        self.start = {(c, r): cache_count(c, r) for c in CACHES_NAMES for r in ("hit", "miss")}

    def __call__(self, cache: str, result: str) -> int:
        return int(cache_count(cache, result) - self.start[(cache, result)])


@pytest.fixture
def lookups() -> Lookups:
    return Lookups()


@pytest.fixture(autouse=True)
def _fresh_process_state(settings: Any) -> Iterator[None]:
    """The breaker and the pending epoch are per process: no test inherits another's."""
    settings.CACHE_ENABLED = True
    store.BREAKER.reset()
    generations.PENDING_EPOCH._pending = False
    yield
    store.BREAKER.reset()
    generations.PENDING_EPOCH._pending = False


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, what: str = "it") -> None:
    # Generous: a worker subprocess may take long to start on a loaded machine; still bounded.
    if not wait_until(condition, timeout, interval=0.05):
        raise AssertionError(f"timed out waiting for {what}")


def database_url() -> str:
    """The URL of the test database this process uses, for child processes."""
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child Django process sharing this test's database and Redis."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PROMETHEUS_MULTIPROC_DIR", "DATABASE_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "TEST_DATABASE_URL": database_url(),
            "TEST_REDIS_URL": settings.REDIS_URL,
            "CACHE_KEY_PREFIX": settings.CACHE_KEY_PREFIX,
            "PYTHONPATH": str(API_DIR),
            "LOG_FORMAT": "console",
            "LOG_LEVEL": "INFO",
            **extra,
        }
    )
    return env


def requires_postgres_for_children() -> Any:
    return pytest.mark.skipif(
        connection.vendor != "postgresql", reason="child processes need the shared PostgreSQL"
    )


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


def start_redis(port: int) -> subprocess.Popen[bytes]:
    """A private redis-server: without persistence, in the foreground, killed by the test."""
    binary = redis_server_binary()
    assert binary is not None
    try:
        # The test kills the process itself (an outage): no process group of its own.
        server = start_redis_server(
            port, binary=binary, log=Path(os.devnull), own_group=False, timeout=60
        )
    except ProcessStartError as error:
        raise AssertionError(f"redis-server on port {port}: {error}") from error
    assert server.popen is not None
    return server.popen
