"""The incident lever: cache_clear empties the read cache, never the throttles or buffers."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from caching import store, writebehind
from tasks import cache_keys as task_keys
from tests.caching.conftest import Lookups
from tests.conftest import requires_redis
from tests.factories import TaskFactory

pytestmark = [pytest.mark.django_db, requires_redis]


def _keys(pattern: str) -> list[bytes]:
    return store.run("test", lambda redis: redis.keys(pattern))


def _clear(*args: str) -> str:
    out = StringIO()
    call_command("cache_clear", *args, stdout=out)
    return out.getvalue()


def test_clearing_turns_every_cached_read_into_a_miss(team: Any, lookups: Lookups) -> None:
    task = TaskFactory(project=team.project)
    client = team.client("viewer")
    client.get(f"/api/v1/tasks/{task.pk}/")
    client.get("/api/v1/tasks/")

    assert "moved the epoch" in _clear()

    client.get(f"/api/v1/tasks/{task.pk}/")
    client.get("/api/v1/tasks/")
    assert lookups("task_detail", "miss") == lookups("task_list", "miss") == 2
    assert lookups("task_detail", "hit") == lookups("task_list", "hit") == 0


def test_delete_frees_the_read_cache_but_keeps_throttles_and_buffered_views(team: Any) -> None:
    # given cached reads, throttle buckets (every request counts) and a buffered view
    task = TaskFactory(project=team.project)
    team.client("viewer").get(f"/api/v1/tasks/{task.pk}/")
    team.client("viewer").get("/api/v1/projects/")
    prefix = store.full_key("")
    assert _keys(f"{prefix}task:*") and _keys(f"{prefix}projects:list:*")
    throttles = _keys("*throttle*")
    assert throttles

    # when an operator clears and deletes every family
    out = _clear("--delete")

    # then the entries and generations are gone, the rest is not
    assert "deleted" in out
    assert _keys(f"{prefix}task:*") == _keys(f"{prefix}projects:list:*") == []
    assert _keys(f"{prefix}gen:*") == []
    assert sorted(_keys("*throttle*")) == sorted(throttles)
    assert writebehind.buffered_views(task.pk) == 1
    assert _keys(task_keys.task_views_buffer_key())


def test_one_family_can_be_deleted_alone(team: Any) -> None:
    task = TaskFactory(project=team.project)
    team.client("viewer").get(f"/api/v1/tasks/{task.pk}/")
    team.client("viewer").get("/api/v1/tasks/")
    prefix = store.full_key("")
    _clear("--delete", "task_list")
    assert _keys(f"{prefix}tasks:list:*") == []
    assert _keys(f"{prefix}task:*")
