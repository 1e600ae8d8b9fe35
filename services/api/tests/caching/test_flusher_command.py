"""flush_writebehind in this process: the once mode and the loop's stop conditions."""

import signal
import threading
from collections.abc import Iterator
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command

from caching import store, writebehind
from caching.management.commands import flush_writebehind
from caching.management.commands.flush_writebehind import Command
from tasks.models import TaskViewStats
from tests.conftest import requires_redis
from tests.factories import TaskFactory

pytestmark = [pytest.mark.django_db, requires_redis]


@pytest.fixture(autouse=True)
def _in_process(monkeypatch: Any) -> Iterator[None]:
    """The loop installs SIGTERM/SIGINT handlers in the main thread (the test runner's come back
    after) and recycles database connections between flushes, which would close the test's own
    (test_flusher_process.py runs the real process)."""
    monkeypatch.setattr(flush_writebehind, "close_old_connections", lambda: None)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def _run(*args: str) -> str:
    out = StringIO()
    call_command("flush_writebehind", *args, stdout=out)
    return out.getvalue()


def test_once_flushes_and_reports(team: Any) -> None:
    task = TaskFactory(project=team.project)
    for _ in range(2):
        writebehind.record_view(task.pk)
    assert _run("--once") == "flushed 2 views of 1 tasks (0 chunks already applied)\n"
    assert TaskViewStats.objects.get(task_id=task.pk).view_count == 2


def test_the_loop_flushes_until_max_seconds(team: Any) -> None:
    task = TaskFactory(project=team.project)
    writebehind.record_view(task.pk)
    _run("--interval", "0.05", "--max-seconds", "0.2")
    assert TaskViewStats.objects.get(task_id=task.pk).view_count == 1


def test_a_stop_signal_ends_the_loop_after_a_final_flush(team: Any) -> None:
    task = TaskFactory(project=team.project)
    command = Command()
    command._stop = threading.Event()
    writebehind.record_view(task.pk)
    command._stopping(signal.SIGTERM, None)
    command._run({"interval": 60, "batch_size": 10, "max_seconds": 0})
    assert TaskViewStats.objects.get(task_id=task.pk).view_count == 1


def test_the_loop_survives_redis_and_database_failures(team: Any) -> None:
    task = TaskFactory(project=team.project)
    writebehind.record_view(task.pk)
    command = Command()
    store.BREAKER.trip("test", ConnectionError("down"))
    command._flush(10)  # skipped: the buffer waits in Redis
    store.BREAKER.reset()
    with mock.patch.object(writebehind, "_apply", side_effect=ZeroDivisionError):
        command._flush(10)  # failed: the batch stays in Redis
    command._flush(10)
    assert TaskViewStats.objects.get(task_id=task.pk).view_count == 1


def test_without_redis_there_is_nothing_to_flush(settings: Any) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    assert _run("--once") == "nothing to flush: no Redis configured\n"
    Command()._flush(10)
