"""Write-behind of task views: atomic counting in Redis, batched flushes to PostgreSQL, and no
view lost or counted twice when the flusher dies at any point."""

from typing import Any
from unittest import mock

import pytest

from caching import store, writebehind
from caching.models import WriteBehindChunk
from caching.store import CacheUnavailable
from tasks import cache_keys as task_keys
from tasks.models import TaskViewStats
from tests.conftest import requires_redis
from tests.factories import TaskFactory

pytestmark = [pytest.mark.django_db, requires_redis]


def _views(task_id: int) -> int:
    stats = TaskViewStats.objects.filter(task_id=task_id).first()
    return stats.view_count if stats else 0


def _buffer_exists() -> bool:
    return bool(
        store.run(
            "test",
            lambda redis: redis.exists(
                task_keys.task_views_buffer_key(), task_keys.task_views_flushing_key()
            ),
        )
    )


def test_reads_are_counted_in_redis_and_flushed_in_batches(team: Any) -> None:
    # given three tasks read 3, 2 and 1 times (a 304 is a view too)
    tasks = [TaskFactory(project=team.project) for _ in range(3)]
    client = team.client("viewer")
    for task, reads in zip(tasks, (3, 2, 1), strict=True):
        for _ in range(reads - 1):
            client.get(f"/api/v1/tasks/{task.pk}/")
        client.get(f"/api/v1/tasks/{task.pk}/", HTTP_IF_NONE_MATCH=f'"{task.version}"')

    # then nothing reached PostgreSQL yet: the views wait in Redis
    assert [writebehind.buffered_views(t.pk) for t in tasks] == [3, 2, 1]
    assert TaskViewStats.objects.count() == 0

    # when the flusher runs, two tasks per transaction
    result = writebehind.flush(batch_size=2)

    # then the counts and times are in PostgreSQL, in two chunks, and the buffer is gone
    assert (result.tasks, result.views) == (3, 6)
    assert [_views(t.pk) for t in tasks] == [3, 2, 1]
    assert all(s.last_viewed_at is not None for s in TaskViewStats.objects.all())
    assert WriteBehindChunk.objects.count() == 2
    assert not _buffer_exists()


def test_a_second_flush_adds_to_the_counts(team: Any) -> None:
    task = TaskFactory(project=team.project)
    for _ in range(2):
        writebehind.record_view(task.pk)
        writebehind.flush()
    assert _views(task.pk) == 2
    assert writebehind.flush().views == 0


def test_views_made_during_a_flush_wait_for_the_next_one(team: Any) -> None:
    # given a view buffered, then another one arriving while the flusher writes PostgreSQL
    task = TaskFactory(project=team.project)
    writebehind.record_view(task.pk)
    real_apply = writebehind._apply

    def apply_while_a_view_arrives(views: dict[int, tuple[int, int]]) -> None:
        writebehind.record_view(task.pk)
        real_apply(views)

    with mock.patch.object(writebehind, "_apply", apply_while_a_view_arrives):
        assert writebehind.flush().views == 1

    # then the late view is in the new buffer, not lost with the flushed one
    assert writebehind.buffered_views(task.pk) == 1
    writebehind.flush()
    assert _views(task.pk) == 2


def test_a_flusher_dying_after_its_commit_does_not_count_twice(team: Any) -> None:
    # given a flush that committed to PostgreSQL but died before deleting the batch in Redis
    task = TaskFactory(project=team.project)
    for _ in range(4):
        writebehind.record_view(task.pk)
    with (
        mock.patch.object(writebehind, "_finish", side_effect=SystemExit("killed")),
        pytest.raises(SystemExit),
    ):
        writebehind.flush()
    assert _views(task.pk) == 4

    # when the next run finds the batch again
    result = writebehind.flush()

    # then it skips what was applied, and the count stays right
    assert result.chunks_skipped == 1
    assert _views(task.pk) == 4
    assert not _buffer_exists()


def _flush_dying_on_the_second_chunk(batch_size: int) -> None:
    """A flusher killed after its first chunk committed, before its second one did."""
    real_apply = writebehind._apply
    calls = []

    def die_on_the_second_chunk(views: dict[int, tuple[int, int]]) -> None:
        calls.append(views)
        if len(calls) == 2:
            raise SystemExit("killed")
        real_apply(views)

    with (
        mock.patch.object(writebehind, "_apply", die_on_the_second_chunk),
        pytest.raises(SystemExit),
    ):
        writebehind.flush(batch_size=batch_size)


def test_a_flusher_dying_between_chunks_resumes_with_the_rest(team: Any) -> None:
    tasks = [TaskFactory(project=team.project) for _ in range(3)]
    for task in tasks:
        writebehind.record_view(task.pk)
    _flush_dying_on_the_second_chunk(batch_size=2)
    assert [_views(t.pk) for t in tasks] == [1, 1, 0]

    result = writebehind.flush(batch_size=2)

    assert (result.tasks, result.chunks_skipped) == (1, 1)
    assert [_views(t.pk) for t in tasks] == [1, 1, 1]


def test_a_leftover_batch_is_flushed_before_the_new_buffer(team: Any) -> None:
    task = TaskFactory(project=team.project)
    writebehind.record_view(task.pk)
    assert writebehind._take() is not None  # a flusher renamed the buffer, then died
    writebehind.record_view(task.pk)  # a new buffer starts

    result = writebehind.flush()

    assert result.views == 2
    assert _views(task.pk) == 2
    assert not _buffer_exists()


def test_the_last_view_time_only_moves_forward(team: Any) -> None:
    task = TaskFactory(project=team.project)
    with mock.patch.object(writebehind.time, "time", return_value=2_000_000_000):
        writebehind.record_view(task.pk)
    with mock.patch.object(writebehind.time, "time", return_value=1_000_000_000):
        writebehind.record_view(task.pk)
    writebehind.flush()
    stats = TaskViewStats.objects.get(task_id=task.pk)
    assert stats.view_count == 2
    assert stats.last_viewed_at.timestamp() == 2_000_000_000


def test_counts_survive_a_rebuild_of_the_task_read_models(team: Any) -> None:
    from django.core.management import call_command

    task = TaskFactory(project=team.project)
    writebehind.record_view(task.pk)
    writebehind.flush()
    call_command("rebuild_projections", stdout=mock.MagicMock())
    assert _views(task.pk) == 1


def test_without_redis_views_are_written_straight_to_the_database(team: Any, settings: Any) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    task = TaskFactory(project=team.project)
    team.client("viewer").get(f"/api/v1/tasks/{task.pk}/")
    assert _views(task.pk) == 1


def test_a_redis_failure_leaves_the_buffer_for_later(team: Any) -> None:
    task = TaskFactory(project=team.project)
    writebehind.record_view(task.pk)
    store.BREAKER.trip("test", ConnectionError("down"))
    with pytest.raises(CacheUnavailable):
        writebehind.flush()
    store.BREAKER.reset()
    assert writebehind.buffered_views(task.pk) == 1


def test_old_markers_are_pruned(team: Any) -> None:
    from django.utils import timezone

    marker = WriteBehindChunk.objects.create(batch="old", chunk=0)
    WriteBehindChunk.objects.filter(pk=marker.pk).update(
        applied_at=timezone.now() - writebehind.MARKER_RETENTION * 2
    )
    writebehind.flush()
    assert not WriteBehindChunk.objects.filter(batch="old").exists()


def test_a_resume_with_another_batch_size_does_not_count_a_chunk_twice(team: Any) -> None:
    # Given a flusher cutting 3 tasks into chunks of 2 that dies after the first chunk committed
    tasks = [TaskFactory(project=team.project) for _ in range(3)]
    for task in tasks:
        writebehind.record_view(task.pk)
    _flush_dying_on_the_second_chunk(batch_size=2)

    # When the next flusher runs with a different batch size (a changed setting, a deploy)
    writebehind.flush(batch_size=1)

    # Then every view counts once (chunk 1 of size 1 was not chunk 1 of size 2: it counted twice)
    assert [_views(t.pk) for t in tasks] == [1, 1, 1]


def test_the_buffer_stops_growing_while_the_flusher_is_down(team: Any, settings: Any) -> None:
    settings.WRITEBEHIND_MAX_BUFFERED_TASKS = 2
    tasks = [TaskFactory(project=team.project) for _ in range(3)]
    dropped = writebehind.WRITEBEHIND_DROPPED._value.get()

    for task in tasks:
        writebehind.record_view(task.pk)
    writebehind.record_view(tasks[0].pk)  # a task already buffered still counts

    assert [writebehind.buffered_views(t.pk) for t in tasks] == [2, 1, 0]
    assert writebehind.WRITEBEHIND_DROPPED._value.get() == dropped + 1
