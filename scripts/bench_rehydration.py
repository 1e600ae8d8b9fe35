"""Benchmark: loading a task aggregate with 10 events versus 10,000, with and without snapshots.

Runs against a scratch PostgreSQL database (created and dropped here). Prints the machine, the
median and p95 load time of each case over repeated loads, and the number of events each load
read. Usage: make bench-eventstore   (BENCH_DATABASE_URL points at another server)
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
API_DIR = ROOT / "services" / "api"
SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SCRATCH = "taskboard_bench_rehydration"
REPEATS = 200


def machine() -> str:
    cores = os.cpu_count()
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    return f"{cores} cores, {total_kb / 1024 / 1024:.1f} GiB RAM, Python {sys.version.split()[0]}"


def main() -> int:
    scratch_url = urlunsplit(urlsplit(SERVER_URL)._replace(path=f"/{SCRATCH}"))
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}"')
        admin.execute(f'CREATE DATABASE "{SCRATCH}"')
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.development",
        DATABASE_URL=scratch_url,
        LOG_LEVEL="WARNING",
        DJANGO_DEBUG="false",
    )
    os.environ.pop("REDIS_URL", None)
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=API_DIR, check=True)
        sys.path.insert(0, str(API_DIR))
        import django

        django.setup()
        return run()
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(SERVER_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')


def run() -> int:
    from django.db import transaction

    from eventstore.models import Snapshot
    from eventstore.store import NewEvent, append
    from tasks import aggregate
    from tasks.events import TASK_CREATED, TASK_DESCRIBED, created_data, project_group, task_stream

    def make_task(task_id: int, events: int) -> None:
        created = created_data(id=task_id, project_id=1, workspace_id=1, title="bench")
        batch = [NewEvent(TASK_CREATED, created)]
        version = 0
        with transaction.atomic():
            for n in range(1, events):
                batch.append(NewEvent(TASK_DESCRIBED, {"description": f"revision {n}"}))
                if len(batch) == 1000 or n == events - 1:
                    append(
                        stream=task_stream(task_id),
                        expected_version=version,
                        events=batch,
                        workspace_id=1,
                        actor_id=None,
                        group=project_group(1),
                    )
                    version += len(batch)
                    batch = []
            state = aggregate.load(task_id)
            if state is None or state.version != events:
                raise RuntimeError(f"task {task_id} loaded at the wrong version")
            aggregate.snapshot_if_due(0, state)

    def measure(task_id: int) -> tuple[float, float, int]:
        timings = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            state = aggregate.load(task_id)
            timings.append(time.perf_counter() - started)
        snapshot = Snapshot.objects.filter(stream=task_stream(task_id)).first()
        read = state.version - (snapshot.version if snapshot else 0) if state else 0
        timings.sort()
        return statistics.median(timings) * 1000, timings[int(len(timings) * 0.95)] * 1000, read

    make_task(1, 10)
    make_task(2, 10_000)
    rows = [("10 events", *measure(1)), ("10,000 events, snapshot", *measure(2))]
    Snapshot.objects.filter(stream=task_stream(2)).delete()
    rows.append(("10,000 events, no snapshot", *measure(2)))

    print(f"Aggregate rehydration on {machine()}, PostgreSQL on 127.0.0.1, {REPEATS} loads each")
    print(f"{'stream':<28} {'median ms':>10} {'p95 ms':>8} {'events read':>12}")
    for name, median, p95, read in rows:
        print(f"{name:<28} {median:>10.2f} {p95:>8.2f} {read:>12}")
    ratio = rows[1][1] / rows[0][1]
    print(f"10,000 events with a snapshot cost {ratio:.2f}x the 10-event load.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
