"""Benchmark: the API's read-heavy mix with the read cache on and off, side by side, in one run.

Seeds a scratch PostgreSQL database (created and dropped here) through the commands, then in
rounds of both modes (alternating which goes first) starts the api as in production (Gunicorn
with services/api/gunicorn.conf.py, production settings, PostgreSQL, Redis) on 127.0.0.1,
replays the same mix for the same time from client threads with keep-alive
connections, and reads the hit rate from the server's own cache_requests_total (the multiprocess
metrics every worker writes). Prints the machine, the load, and the hit rate, p50/p95/p99
latency and requests per second of both modes.

The mix, per request: 90 % reads (task detail 35, a project's task list 30, project list 8,
project detail 7, workspace list 5, workspace detail 5), 10 % writes (task update 8, task create
2). Task details are skewed: 80 % of them read the hottest 20 % of the tasks. Task lists are the
board's default page 60 % of the time, else filtered by status, sorted by priority, 5 per page or
cursor-paginated (10 % each).

Usage: make bench-cache   (BENCH_CACHE_ARGS="--duration 60 --clients 16" to change the load;
BENCH_DATABASE_URL / BENCH_REDIS_URL point at other servers). The client runs on the same
machine as the server and takes part of its CPU: compare the modes, not the absolute figures
across machines.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import runpy
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
API_DIR = ROOT / "services" / "api"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Unset: the benchmark runs a redis-server of its own on a free port, so that nothing else using
# a shared Redis (tests flushing their database) disturbs the cache under measurement.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "")
SCRATCH = "taskboard_bench_cache"

READS = {
    "task_detail": 35,
    "task_list": 30,
    "project_list": 8,
    "project_detail": 7,
    "workspace_list": 5,
    "workspace_detail": 5,
}
WRITES = {"task_update": 8, "task_create": 2}
# A project's task list is mostly read as the board shows it; filtered, sorted, smaller and
# cursor pages are the other views.
LIST_VARIANTS = ["", "&status=todo", "&ordering=-priority", "&page_size=5", "&pagination=cursor"]
LIST_VARIANT_WEIGHTS = [60, 10, 10, 10, 10]


@dataclass
class World:
    """What the clients may touch: users with their tokens, and what each can see."""

    users: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Sample:
    operation: str
    status: int
    seconds: float


@dataclass
class Measurement:
    """What one mode measured, summed over its rounds."""

    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0
    lookups: dict[str, dict[str, float]] = field(default_factory=dict)
    redis_errors: float = 0.0
    gunicorn: str = ""
    rounds: list[str] = field(default_factory=list)

    def add(
        self,
        samples: list[Sample],
        seconds: float,
        before: dict[str, dict[str, float]],
        after: dict[str, dict[str, float]],
        gunicorn: str,
    ) -> None:
        self.samples += samples
        self.seconds += seconds
        loads = "/".join(f"{value:.1f}" for value in os.getloadavg())
        self.rounds.append(f"{len(samples) / seconds:.0f} req/s (load {loads})")
        self.gunicorn = gunicorn
        self.redis_errors += after.pop("redis errors")["errors"]
        self.redis_errors -= before.pop("redis errors")["errors"]
        for cache, counts in after.items():
            start = before.get(cache, {"hit": 0.0, "miss": 0.0})
            total = self.lookups.setdefault(cache, {"hit": 0.0, "miss": 0.0})
            for result in ("hit", "miss"):
                total[result] += counts[result] - start[result]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=float, default=20.0, help="Seconds measured per mode and round."
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="Rounds of both modes, in alternating order, so that a change in the machine's "
        "background load weighs on both alike.",
    )
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="Seconds of unmeasured load per round."
    )
    parser.add_argument("--clients", type=int, default=8, help="Concurrent client connections.")
    parser.add_argument("--workspaces", type=int, default=4)
    parser.add_argument("--users-per-workspace", type=int, default=6)
    parser.add_argument("--projects-per-workspace", type=int, default=5)
    parser.add_argument("--tasks-per-project", type=int, default=40)
    parser.add_argument("--seed", type=int, default=42, help="Random seed of the mix.")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    parser.add_argument("--server-log", type=Path, help="Keep Gunicorn's log in this folder.")
    return parser.parse_args()


def machine() -> dict[str, Any]:
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu": model,
        "memory_gib": round(total_kb / 1024 / 1024, 1),
        "load_average_at_start": os.getloadavg(),
        "python": sys.version.split()[0],
        "system": platform.platform(),
    }


class PrivateRedis:
    """redis-server on a free port of 127.0.0.1, without persistence, stopped at the end."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


def django_env(scratch_url: str, secret_key: str, redis_url: str) -> dict[str, str]:
    """The environment of the api: production settings against the scratch database."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": scratch_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "bench",
        "LOG_LEVEL": "WARNING",
        "THROTTLE_RATE_ANON": "100000000/hour",
        "THROTTLE_RATE_USER": "100000000/hour",
        "THROTTLE_RATE_BURST": "100000000/minute",
        "THROTTLE_RATE_SUSTAINED": "100000000/hour",
        "PYTHONPATH": str(API_DIR),
    }


def seed(args: argparse.Namespace) -> World:
    """Users, workspaces, projects, labels and tasks, written through the commands."""
    from django.contrib.auth.models import User

    from tasks.commands import task_create
    from workspaces.commands import label_create, member_add, project_create, workspace_create
    from workspaces.models import Role

    rng = random.Random(args.seed)  # noqa: S311 - a reproducible load, not a secret  # nosec B311
    world = World()
    users: dict[int, dict[str, Any]] = {}
    roles = [Role.ADMIN, Role.MEMBER, Role.MEMBER, Role.VIEWER]
    for w in range(args.workspaces):
        owner = User.objects.create_user(f"bench-owner-{w}", password=secrets.token_hex(16))
        workspace = workspace_create(actor=owner, name=f"Workspace {w}")
        members = [owner]
        for u in range(args.users_per_workspace - 1):
            user = User.objects.create_user(f"bench-{w}-{u}", password=secrets.token_hex(16))
            member_add(actor=owner, workspace=workspace, user=user, role=roles[u % len(roles)])
            members.append(user)
        labels = [
            label_create(actor=owner, workspace=workspace, name=f"label-{n}") for n in range(5)
        ]
        project_ids = []
        task_ids = []
        for p in range(args.projects_per_workspace):
            project = project_create(actor=owner, workspace=workspace, name=f"Project {w}.{p}")
            project_ids.append(project.pk)
            for t in range(args.tasks_per_project):
                task = task_create(
                    actor=owner,
                    project=project,
                    title=f"Task {w}.{p}.{t}",
                    description="Seeded for the cache benchmark. " * 4,
                    priority=rng.choice([1, 2, 3, 4]),
                    labels=rng.sample(labels, rng.randint(0, 2)),
                )
                task_ids.append((task.pk, project.pk))
        for index, user in enumerate(members):
            users[user.pk] = {
                "id": user.pk,
                # owners, admins and members write; viewers only read
                "writes": index == 0 or roles[(index - 1) % len(roles)] != Role.VIEWER,
                "workspace": workspace.pk,
                "projects": project_ids,
                "tasks": task_ids,
            }
    world.users = list(users.values())
    return world


def tokens(world: World) -> None:
    from django.contrib.auth.models import User
    from rest_framework_simplejwt.tokens import RefreshToken

    for user in world.users:
        user["token"] = str(RefreshToken.for_user(User.objects.get(pk=user["id"])).access_token)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """The api under Gunicorn with its production configuration file."""

    def __init__(
        self, env: dict[str, str], cache_enabled: bool, log_dir: Path | None = None
    ) -> None:
        self.port = free_port()
        self.metrics_dir = tempfile.TemporaryDirectory(prefix="bench-cache-metrics-")
        self.env = {
            **os.environ,
            **env,
            "CACHE_ENABLED": "true" if cache_enabled else "false",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir.name,
        }
        self.process: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: a pipe nobody reads would stall Gunicorn once it is full.
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            name = f"gunicorn-cache-{'on' if cache_enabled else 'off'}.log"
            self.log = open(log_dir / name, "w+b")  # noqa: SIM115 - closed in __exit__
        else:
            self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [str(GUNICORN), "--config", "gunicorn.conf.py", "config.wsgi:application"],
            cwd=API_DIR,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(self.log.read().decode())
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.metrics_dir.cleanup()
        self.log.close()

    def get(self, path: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def describe(self) -> str:
        """Workers, class and threads as gunicorn.conf.py resolves them in this environment."""
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            config = runpy.run_path(str(API_DIR / "gunicorn.conf.py"))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return (
            f"{config['workers']} workers x {config['threads']} threads ({config['worker_class']})"
        )

    def cache_totals(self) -> dict[str, dict[str, float]]:
        status, body = self.get("/metrics")
        if status != 200:
            raise RuntimeError(f"/metrics answered {status}")
        totals: dict[str, dict[str, float]] = {"redis errors": {"errors": 0.0}}
        pattern = re.compile(r'^cache_requests_total\{cache="(\w+)",result="(\w+)"\} (\S+)$')
        errors = re.compile(r"^cache_errors_total\{[^}]*\} (\S+)$")
        for line in body.decode().splitlines():
            match = pattern.match(line)
            if match:
                cache, result, value = match.groups()
                totals.setdefault(cache, {"hit": 0.0, "miss": 0.0})[result] = float(value)
            elif errors.match(line):
                totals["redis errors"]["errors"] += float(line.rsplit(" ", 1)[1])
        return totals


class Client(threading.Thread):
    """One user on one keep-alive connection, replaying the mix until told to stop."""

    def __init__(self, port: int, user: dict[str, Any], seed: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.user = user
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible load, not a secret  # nosec B311
        self.stop = stop
        self.samples: list[Sample] = []
        self.recording = False
        mix = dict(READS)
        if user["writes"]:
            mix.update(WRITES)
        else:  # viewers read: their share of writes becomes task detail reads
            mix["task_detail"] += sum(WRITES.values())
        self.operations = list(mix)
        self.weights = list(mix.values())
        tasks = user["tasks"]
        self.hot = tasks[: max(1, len(tasks) // 5)]

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.user['token']}"}
        while not self.stop.is_set():
            operation = self.rng.choices(self.operations, self.weights)[0]
            method, path, body = self.request(operation)
            started = time.perf_counter()
            try:
                request_headers = dict(headers)
                if body is not None:
                    request_headers["Content-Type"] = "application/json"
                connection.request(method, path, body=body, headers=request_headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                status = 0
            if self.recording:
                self.samples.append(Sample(operation, status, time.perf_counter() - started))
        connection.close()

    def request(self, operation: str) -> tuple[str, str, str | None]:
        rng, user = self.rng, self.user
        if operation == "task_detail":
            pool = self.hot if rng.random() < 0.8 else user["tasks"]
            return "GET", f"/api/v1/tasks/{rng.choice(pool)[0]}/", None
        if operation == "task_list":
            project = rng.choice(user["projects"])
            suffix = rng.choices(LIST_VARIANTS, LIST_VARIANT_WEIGHTS)[0]
            return "GET", f"/api/v1/tasks/?project={project}{suffix}", None
        if operation == "project_list":
            return "GET", f"/api/v1/projects/?workspace={user['workspace']}", None
        if operation == "project_detail":
            return "GET", f"/api/v1/projects/{rng.choice(user['projects'])}/", None
        if operation == "workspace_list":
            return "GET", "/api/v1/workspaces/", None
        if operation == "workspace_detail":
            return "GET", f"/api/v1/workspaces/{user['workspace']}/", None
        if operation == "task_update":
            task_id = rng.choice(user["tasks"])[0]
            change = rng.choice(
                [
                    {"status": rng.choice(["todo", "in_progress", "done"])},
                    {"priority": rng.choice(["low", "medium", "high", "urgent"])},
                ]
            )
            return "PATCH", f"/api/v1/tasks/{task_id}/", json.dumps(change)
        project = rng.choice(user["projects"])
        payload = {"project": project, "title": f"Created under load {rng.random():.6f}"}
        return "POST", "/api/v1/tasks/", json.dumps(payload)


def run_mode(
    args: argparse.Namespace,
    env: dict[str, str],
    world: World,
    cache_enabled: bool,
    measurement: Measurement,
) -> None:
    with Server(env, cache_enabled, args.server_log) as server:
        stop = threading.Event()
        clients = [
            Client(server.port, world.users[i % len(world.users)], args.seed + i, stop)
            for i in range(args.clients)
        ]
        for client in clients:
            client.start()
        time.sleep(args.warmup)
        before = server.cache_totals()
        for client in clients:
            client.recording = True
        started = time.perf_counter()
        time.sleep(args.duration)
        for client in clients:
            client.recording = False
        elapsed = time.perf_counter() - started
        after = server.cache_totals()
        stop.set()
        for client in clients:
            client.join(timeout=60)
        workers = server.describe()
    samples = [sample for client in clients for sample in client.samples]
    measurement.add(samples, elapsed, before, after, workers)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(measurement: Measurement, cache_enabled: bool) -> dict[str, Any]:
    samples, elapsed = measurement.samples, measurement.seconds
    reads = [s.seconds for s in samples if s.operation in READS]
    writes = [s.seconds for s in samples if s.operation in WRITES]
    every = [s.seconds for s in samples]
    # 409 and 412 are the contract's answers to concurrent writes of one task, not failures.
    conflicts = sum(1 for s in samples if s.status in (409, 412))
    errors = sum(1 for s in samples if s.status == 0 or s.status >= 400) - conflicts
    statuses: dict[str, int] = {}
    for s in samples:
        statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    per_cache: dict[str, float] = {}
    hits = misses = 0.0
    for cache, counts in measurement.lookups.items():
        cache_hits, cache_misses = counts["hit"], counts["miss"]
        hits, misses = hits + cache_hits, misses + cache_misses
        if cache_hits + cache_misses:
            per_cache[cache] = cache_hits / (cache_hits + cache_misses)
    return {
        "cache": "on" if cache_enabled else "off",
        "requests": len(samples),
        "seconds": round(elapsed, 2),
        "requests_per_second": len(samples) / elapsed,
        "errors": errors,
        "conflicts": conflicts,
        "redis_errors": int(measurement.redis_errors),
        "statuses": statuses,
        "read_share": len(reads) / len(samples) if samples else 0.0,
        "hit_rate": hits / (hits + misses) if hits + misses else None,
        "hit_rate_per_cache": per_cache,
        "lookups": hits + misses,
        "p50_ms": percentile(every, 0.50) * 1000,
        "p95_ms": percentile(every, 0.95) * 1000,
        "p99_ms": percentile(every, 0.99) * 1000,
        "read_p50_ms": percentile(reads, 0.50) * 1000,
        "read_p95_ms": percentile(reads, 0.95) * 1000,
        "write_p95_ms": percentile(writes, 0.95) * 1000,
        "mean_ms": statistics.fmean(every) * 1000 if every else float("nan"),
        "gunicorn": measurement.gunicorn,
        "rounds": measurement.rounds,
    }


def report(args: argparse.Namespace, host: dict[str, Any], results: list[dict[str, Any]]) -> str:
    lines = [
        "Cache benchmark: the API's read-heavy mix with the read cache on and off",
        f"machine: {host['cores']} cores ({host['usable_cores']} usable), {host['cpu']}, "
        f"{host['memory_gib']} GiB RAM, {host['system']}, Python {host['python']}; "
        f"load average (1, 5, 15 min) at start {_loads(host['load_average_at_start'])}, "
        f"at end {_loads(host['load_average_at_end'])}",
        f"server: Gunicorn, {results[0]['gunicorn']}, on 127.0.0.1, production settings, "
        f"PostgreSQL {host.get('postgres', '?')} and Redis {host.get('redis', '?')} "
        f"({'BENCH_REDIS_URL' if REDIS_URL else 'a redis-server of its own'}) on the same machine",
        f"load: {args.clients} keep-alive clients on the same machine; {args.rounds} rounds of "
        f"both modes in alternating order (a server started afresh each time, the cache cold "
        f"at the first round only), {args.warmup:.0f} s warm-up then {args.duration:.0f} s "
        "measured; mix: 90 % reads / 10 % writes "
        f"(viewers read only); data: {args.workspaces} workspaces x "
        f"{args.users_per_workspace} users, {args.projects_per_workspace} projects x "
        f"{args.tasks_per_project} tasks each",
        "",
        f"{'':<22}" + "".join(f"{'cache ' + r['cache']:>14}" for r in results),
    ]

    def row(label: str, key: str, fmt: str) -> None:
        cells = []
        for result in results:
            value = result[key]
            cells.append(f"{'-' if value is None else format(value, fmt):>14}")
        lines.append(f"{label:<22}" + "".join(cells))

    row("requests", "requests", ",d")
    row("requests/s", "requests_per_second", ",.0f")
    row("p50 latency (ms)", "p50_ms", ".1f")
    row("p95 latency (ms)", "p95_ms", ".1f")
    row("p99 latency (ms)", "p99_ms", ".1f")
    row("reads p50 (ms)", "read_p50_ms", ".1f")
    row("reads p95 (ms)", "read_p95_ms", ".1f")
    row("writes p95 (ms)", "write_p95_ms", ".1f")
    row("errors", "errors", ",d")
    row("409 (concurrent writes)", "conflicts", ",d")
    row("redis errors", "redis_errors", ",d")
    row("read share", "read_share", ".1%")
    row("hit rate", "hit_rate", ".1%")
    lines.append("")
    for result in results:
        lines.append(f"rounds (cache {result['cache']}): {', '.join(result['rounds'])}")
    for result in results:
        lines.append(f"statuses (cache {result['cache']}): {result['statuses']}")
    on = next((r for r in results if r["cache"] == "on"), None)
    if on and on["hit_rate_per_cache"]:
        lines.append("")
        lines.append(
            "hit rate per cache (cache on): "
            + ", ".join(f"{c} {rate:.1%}" for c, rate in sorted(on["hit_rate_per_cache"].items()))
        )
    return "\n".join(lines)


def _loads(values: tuple[float, ...]) -> str:
    return "/".join(f"{value:.1f}" for value in values)


def main() -> int:
    args = parse_args()
    host = machine()
    scratch_url = urlunsplit(urlsplit(SERVER_URL)._replace(path=f"/{SCRATCH}"))
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{SCRATCH}"')
    private_redis = None if REDIS_URL else PrivateRedis()
    redis_url = REDIS_URL or private_redis.url  # type: ignore[union-attr]
    env = django_env(scratch_url, secrets.token_urlsafe(64), redis_url)
    os.environ.update(env)
    try:
        with psycopg.connect(SERVER_URL) as server:
            version = server.execute("SHOW server_version").fetchone()
            host["postgres"] = version[0] if version else "?"
        import redis

        host["redis"] = redis.Redis.from_url(redis_url).info("server")["redis_version"]
        print("migrating and seeding ...", flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=API_DIR, check=True)
        sys.path.insert(0, str(API_DIR))
        import django

        django.setup()
        world = seed(args)
        from django.db import connections

        connections.close_all()
        # The cache starts cold once, then lives on as in a long-running service: writes made
        # with caching off still invalidate, so what the next "on" round finds is valid.
        redis_client = redis.Redis.from_url(redis_url)
        for key in redis_client.scan_iter(match="bench:*", count=1000):
            redis_client.delete(key)
        measurements = {False: Measurement(), True: Measurement()}
        for round_number in range(args.rounds):
            order = (False, True) if round_number % 2 == 0 else (True, False)
            for cache_enabled in order:
                tokens(world)
                mode = "on" if cache_enabled else "off"
                print(f"round {round_number + 1}/{args.rounds}, cache {mode} ...", flush=True)
                run_mode(args, env, world, cache_enabled, measurements[cache_enabled])
                connections.close_all()
        results = [summarise(measurements[mode], mode) for mode in (False, True)]
        host["load_average_at_end"] = os.getloadavg()
        text = report(args, host, results)
        print()
        print(text)
        if args.json:
            args.json.write_text(json.dumps({"machine": host, "results": results}, indent=2))
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(SERVER_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        if private_redis is not None:
            private_redis.stop()


if __name__ == "__main__":
    sys.exit(main())
