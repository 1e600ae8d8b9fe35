"""cache_requests_total across Gunicorn workers, and the operators' hit-rate command."""

import re
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from prometheus_client import CollectorRegistry, multiprocess
from rest_framework_simplejwt.tokens import RefreshToken

from tests.caching.conftest import (
    API_DIR,
    REPO,
    child_env,
    free_port,
    requires_postgres_for_children,
    wait_for,
)
from tests.conftest import requires_redis
from tests.factories import MembershipFactory, TaskFactory

GUNICORN = str(REPO / ".venv" / "bin" / "gunicorn")
REQUESTS = 40


def _total(text: str, cache: str, result: str) -> float:
    pattern = rf'^cache_requests_total\{{cache="{cache}",result="{result}"\}} (\S+)$'
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


@pytest.fixture
def gunicorn_two_workers() -> Iterator[tuple[str, Path]]:
    """The api under Gunicorn, two sync workers, multiprocess metrics in a folder that does not
    exist yet (as in a container's fresh /tmp): Gunicorn makes it before the app is preloaded."""
    port = free_port()
    with tempfile.TemporaryDirectory() as parent:
        metrics_dir = str(Path(parent) / "prometheus")
        server = subprocess.Popen(  # noqa: S603 - the project's own gunicorn and config
            [GUNICORN, "--config", "gunicorn.conf.py", "config.wsgi:application"],
            cwd=API_DIR,
            env=child_env(
                GUNICORN_BIND=f"127.0.0.1:{port}",
                GUNICORN_WORKERS="2",
                GUNICORN_WORKER_CLASS="sync",
                PROMETHEUS_MULTIPROC_DIR=metrics_dir,
                LOG_LEVEL="WARNING",
                THROTTLE_RATE_USER="100000/hour",
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return requests.get(f"{base}/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        try:
            wait_for(up, timeout=60, what="gunicorn")
            yield base, Path(metrics_dir)
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
@requires_redis
@requires_postgres_for_children()
def test_cache_requests_are_counted_across_gunicorn_workers(
    gunicorn_two_workers: tuple[str, Path],
) -> None:
    # given a task readable by a user, and the api running two workers
    base, metrics_dir = gunicorn_two_workers
    membership = MembershipFactory()
    task = TaskFactory(project__workspace=membership.workspace)
    token = str(RefreshToken.for_user(membership.user).access_token)

    def read() -> None:
        response = requests.get(
            f"{base}/api/v1/tasks/{task.pk}/",
            headers={"Authorization": f"Bearer {token}", "Connection": "close"},
            timeout=30,
        )
        assert response.status_code == 200

    # when 40 reads arrive four at a time, so both workers answer some
    for _ in range(REQUESTS // 4):
        threads = [threading.Thread(target=read) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    # then more than one worker counted lookups in its own file ...
    files = [
        path
        for path in metrics_dir.glob("counter_*.db")
        if _lookups(path.parent, only=path.name) > 0
    ]
    assert len(files) >= 2, sorted(p.name for p in metrics_dir.iterdir())

    # ... and /metrics, answered by one worker, reports every worker's: all 40 lookups
    text = requests.get(f"{base}/metrics", timeout=10).text
    hits, misses = _total(text, "task_detail", "hit"), _total(text, "task_detail", "miss")
    assert hits + misses == REQUESTS
    assert hits >= REQUESTS - 4  # at most one miss per concurrent first wave

    # and the operators' command reads the same figures from the folder or from /metrics
    for source in ({"multiproc_dir": str(metrics_dir)}, {"url": f"{base}/metrics"}):
        out = _stats(**source)
        assert re.search(rf"task_detail\s+{hits:.0f}\s+{misses:.0f}\s+\d+\.\d%", out), out


def _lookups(directory: Path, only: str) -> float:
    """The lookups recorded in one worker's metric file."""
    with tempfile.TemporaryDirectory() as single:
        (Path(single) / only).write_bytes((directory / only).read_bytes())
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=single)
        return sum(
            sample.value
            for metric in registry.collect()
            if metric.name == "cache_requests"
            for sample in metric.samples
            if sample.name == "cache_requests_total"
        )


def _stats(**options: Any) -> str:
    from io import StringIO

    out = StringIO()
    call_command("cache_stats", stdout=out, **options)
    return out.getvalue()


@requires_redis
def test_cache_stats_prints_a_rate_per_cache_and_redis_counters(tmp_path: Path) -> None:
    # given a multiprocess folder written by "two workers"
    script = (
        "from caching.metrics import CACHE_REQUESTS as c\n"
        "c.labels('task_list', 'hit').inc(3)\n"
        "c.labels('task_list', 'miss').inc(1)\n"
    )
    for _ in range(2):
        subprocess.run(  # noqa: S603 - the test's own interpreter
            [str(REPO / ".venv" / "bin" / "python"), "-c", script],
            env={**child_env(), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
            cwd=API_DIR,
            check=True,
            timeout=60,
        )

    out = _stats(multiproc_dir=str(tmp_path))

    assert re.search(r"task_list\s+6\s+2\s+75\.0%", out), out
    assert re.search(r"all\s+6\s+2\s+75\.0%", out), out
    assert "redis server, every key and client (INFO stats): keyspace_hits=" in out


def test_cache_stats_refuses_to_guess_without_a_source(monkeypatch: Any) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with pytest.raises(CommandError, match="Nothing to read"):
        _stats()
