"""The flusher as a real process: killed with SIGKILL between flushes it loses nothing (the next
run flushes the buffer); stopped with SIGTERM it flushes one last time and exits cleanly."""

import signal
import subprocess
import urllib.request
from typing import Any

import pytest

from caching import writebehind
from tasks.models import TaskViewStats
from tests.caching.conftest import (
    API_DIR,
    PYTHON,
    child_env,
    free_port,
    requires_postgres_for_children,
    wait_for,
)
from tests.conftest import requires_redis
from tests.factories import ProjectFactory, TaskFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    requires_redis,
    requires_postgres_for_children(),
]


def _views(task_id: int) -> int:
    return (
        TaskViewStats.objects.filter(task_id=task_id).values_list("view_count", flat=True).first()
        or 0
    )


def _flusher(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - this repository's own manage.py
        [PYTHON, "manage.py", "flush_writebehind", *args],
        cwd=API_DIR,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _record(task_id: int, views: int) -> None:
    for _ in range(views):
        writebehind.record_view(task_id)


@pytest.fixture
def task() -> Any:
    return TaskFactory(project=ProjectFactory())


def test_a_killed_flusher_loses_nothing_and_the_next_run_flushes(task: Any) -> None:
    # given a running flusher that has flushed two views and then sleeps (60 s interval)
    _record(task.pk, 2)
    flusher = _flusher("--interval", "60")
    try:
        wait_for(lambda: _views(task.pk) == 2, what="the first flush")

        # when three more views are buffered and the flusher is killed between flushes
        _record(task.pk, 3)
        flusher.send_signal(signal.SIGKILL)
        assert flusher.wait(timeout=10) == -signal.SIGKILL
    finally:
        if flusher.poll() is None:
            flusher.kill()
        flusher.communicate(timeout=10)

    # then the three views are still buffered in Redis, and the next run flushes them
    assert (_views(task.pk), writebehind.buffered_views(task.pk)) == (2, 3)
    once = subprocess.run(  # noqa: S603 - this repository's own manage.py
        [PYTHON, "manage.py", "flush_writebehind", "--once"],
        cwd=API_DIR,
        env=child_env(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert once.returncode == 0, once.stderr.decode()
    assert b"flushed 3 views of 1 tasks" in once.stdout
    assert (_views(task.pk), writebehind.buffered_views(task.pk)) == (5, 0)


def test_sigterm_makes_a_final_flush_and_a_clean_exit(task: Any) -> None:
    # given a running flusher serving its metrics, after its first flush
    port = free_port()
    _record(task.pk, 1)
    flusher = _flusher("--interval", "60", "--metrics-port", str(port))
    try:
        wait_for(lambda: _views(task.pk) == 1, what="the first flush")

        # when views arrive and it is told to stop
        _record(task.pk, 2)
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        flusher.send_signal(signal.SIGTERM)
        code = flusher.wait(timeout=30)
    finally:
        if flusher.poll() is None:
            flusher.kill()
        output = flusher.communicate(timeout=10)[0].decode()

    # then it flushed them before exiting with 0
    assert code == 0, output
    assert _views(task.pk) == 3
    assert writebehind.buffered_views(task.pk) == 0
    assert b"writebehind_flushed_total 1.0" in metrics
    assert "flusher stopped" in output


def test_max_seconds_stops_it_by_itself(task: Any) -> None:
    flusher = _flusher("--interval", "0.2", "--max-seconds", "1")
    try:
        assert flusher.wait(timeout=60) == 0
    finally:
        if flusher.poll() is None:
            flusher.kill()
        flusher.communicate(timeout=10)
