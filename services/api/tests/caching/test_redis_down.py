"""Redis down: the API answers from PostgreSQL (never a 500), skips the dead server instead of
waiting on it for every request, and resumes caching by itself when Redis returns.

The test runs its own redis-server on a free port and kills it; the shared Redis is untouched."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from caching import generations, store
from tests.caching.conftest import (
    Lookups,
    free_port,
    redis_server_binary,
    start_redis,
)
from tests.conftest import requires_redis
from tests.factories import ProjectFactory, TaskFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(redis_server_binary() is None, reason="redis-server is not installed"),
]

BREAKER_SECONDS = 2.0


def _redis_caches(url: str) -> dict[str, Any]:
    def cache(prefix: str) -> dict[str, Any]:
        return {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }

    return {"default": cache("outage-test"), "throttle": cache("outage-test:throttle")}


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process = start_redis(self.port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def restart(self) -> None:
        self.process = start_redis(self.port)


@pytest.fixture
def private_redis(settings: Any) -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    settings.CACHES = _redis_caches(server.url)
    settings.CACHE_BREAKER_SECONDS = BREAKER_SECONDS
    try:
        yield server
    finally:
        server.kill()


def _errors() -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "cache_errors"
        for sample in metric.samples
        if sample.name == "cache_errors_total"
    )


def test_the_api_answers_through_an_outage_and_recovers(
    team: Any, private_redis: PrivateRedis, lookups: Lookups
) -> None:
    # given cached reads on a Redis of our own
    task = TaskFactory(project=team.project)
    client = team.client("member")
    detail, listing = f"/api/v1/tasks/{task.pk}/", f"/api/v1/tasks/?project={team.project.pk}"
    for _ in range(2):
        assert client.get(detail).status_code == 200
        assert client.get(listing).status_code == 200
    assert lookups("task_detail", "hit") == 1

    # when Redis dies
    private_redis.kill()
    errors_before = _errors()

    # then reads and writes still succeed, from and to PostgreSQL, with fresh data
    for _ in range(5):
        assert client.get(detail).status_code == 200
        assert client.get(listing).status_code == 200
        assert client.get("/api/v1/projects/").status_code == 200
        assert client.get("/api/v1/workspaces/").status_code == 200
    patched = client.patch(detail, {"title": "Written during the outage"}, format="json")
    assert patched.status_code == 200
    assert client.get(detail).json()["title"] == "Written during the outage"
    assert client.get(listing).json()["results"][0]["title"] == "Written during the outage"
    assert (
        client.post(
            "/api/v1/tasks/", {"project": team.project.pk, "title": "New"}, format="json"
        ).status_code
        == 201
    )
    # and the breaker spared most requests a connection attempt to the dead server
    assert 1 <= _errors() - errors_before <= 4

    # when Redis returns (empty, as a restarted server without persistence is)
    private_redis.restart()
    time.sleep(BREAKER_SECONDS + 0.1)

    # then caching resumes by itself: a miss fills the entry, the next read is a hit
    misses, hits = lookups("task_detail", "miss"), lookups("task_detail", "hit")
    assert client.get(detail).json()["title"] == "Written during the outage"
    assert client.get(detail).json()["title"] == "Written during the outage"
    assert (lookups("task_detail", "miss"), lookups("task_detail", "hit")) == (
        misses + 1,
        hits + 1,
    )
    assert store.run("test", lambda redis: redis.dbsize()) > 0


def test_the_write_behind_count_is_skipped_not_failed(
    team: Any, private_redis: PrivateRedis
) -> None:
    task = TaskFactory(project=team.project)
    private_redis.kill()
    assert team.client("viewer").get(f"/api/v1/tasks/{task.pk}/").status_code == 200


@requires_redis
def test_an_invalidation_that_could_not_reach_redis_empties_the_cache_on_recovery(
    team: Any, settings: Any
) -> None:
    # given a cached project (on the shared Redis)
    project = ProjectFactory(workspace=team.workspace, name="Before")
    client = team.client("admin")
    assert client.get(f"/api/v1/projects/{project.pk}/").json()["name"] == "Before"

    # when a write happens while this process cannot reach Redis (a network blip: Redis keeps
    # its data, including the entry the write should have invalidated)
    store.BREAKER.trip("test", ConnectionError("blip"))
    client.patch(f"/api/v1/projects/{project.pk}/", {"name": "After"}, format="json")
    assert generations.PENDING_EPOCH.is_set()
    store.BREAKER.reset()

    # then the first contact with Redis moves the epoch, and the stale entry is never served
    assert client.get(f"/api/v1/projects/{project.pk}/").json()["name"] == "After"
    assert not generations.PENDING_EPOCH.is_set()
