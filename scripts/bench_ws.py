#!/usr/bin/env python
"""WebSocket benchmark of the realtime service (`make bench-ws`; docs/websocket.md has results).

Starts the platform's own processes on 127.0.0.1 against a dedicated PostgreSQL database and
Redis db: the API (gunicorn), one or more realtime processes (daphne config.asgi), the outbox
relay, and nginx in front when it is installed (the repository's proxy snippets). Then:

1. opens SOCKETS authenticated sockets (one viewer account each) and subscribes them to a project,
2. drives task changes through the REST API at RATE per second, EVENTS of them,
3. measures on every socket the delivery latency from the event's commit (`occurred_at`) and
   from the API's response, counts lost, duplicated and out-of-order events,
4. samples the realtime processes' memory (RSS) and CPU, and reads their own
   event_delivery_latency_seconds histogram,
5. adds STEP more sockets and repeats (up to MAX_SOCKETS) until something gives: a socket fails to
   open, an event is lost, or p95 passes the target.

Every loop is bounded in count and time; every address is 127.0.0.1.

    python scripts/bench_ws.py --sockets 1000 --layer pubsub --realtime-processes 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import requests
import websockets
from websockets.asyncio.client import ClientConnection

ROOT = Path(__file__).resolve().parents[1]
API_DIR = ROOT / "services" / "api"
REALTIME_DIR = ROOT / "services" / "realtime"
BIN = Path(sys.executable).parent
LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
P95_TARGET = 0.100
TASKS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# -- the processes under test ---------------------------------------------------------------------


class Services:
    """The API, the realtime processes, the relay and nginx, as child processes."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.api_port = free_port()
        self.realtime_ports = [free_port() for _ in range(args.realtime_processes)]
        self.nginx_port = free_port() if args.nginx else None
        self.relay_metrics_port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
            **bench_environment(args),
        }

    def start(self) -> None:
        self._spawn(
            "api",
            [
                str(BIN / "gunicorn"),
                "--config",
                "gunicorn.conf.py",
                "config.wsgi:application",
            ],
            GUNICORN_BIND=f"127.0.0.1:{self.api_port}",
            GUNICORN_WORKERS=str(self.args.api_workers),
            SERVICE_NAME="api",
        )
        for port in self.realtime_ports:
            self._spawn(
                f"realtime:{port}",
                [
                    str(BIN / "daphne"),
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "config.asgi:application",
                ],
                SERVICE_NAME="realtime",
            )
        self._spawn(
            "relay",
            [
                sys.executable,
                "manage.py",
                "relay_outbox",
                "--poll-seconds",
                "2",
                "--metrics-port",
                str(self.relay_metrics_port),
            ],
            SERVICE_NAME="relay",
        )
        if self.nginx_port:
            self._start_nginx()
        for url in [f"http://127.0.0.1:{self.api_port}/healthz"] + [
            f"http://127.0.0.1:{port}/healthz" for port in self.realtime_ports
        ]:
            wait_http(url, timeout=60)
        if self.nginx_port:
            wait_http(f"http://127.0.0.1:{self.nginx_port}/healthz", timeout=30)

    def _spawn(self, name: str, command: list[str], **env: str) -> None:
        log = open(self.workdir / f"{name.replace(':', '-')}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            command, cwd=API_DIR, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        self.children.append((name, process))

    def _start_nginx(self) -> None:
        """nginx with the repository's maps and proxy snippets, in front of every process."""
        conf = self.workdir / "nginx"
        conf.mkdir(exist_ok=True)
        with contextlib.suppress(FileExistsError):
            (conf / "snippets").symlink_to(ROOT / "nginx" / "snippets")
        realtime = "\n".join(f"    server 127.0.0.1:{p};" for p in self.realtime_ports)
        (conf / "nginx.conf").write_text(
            f"""
worker_processes 1;
worker_rlimit_nofile 40000;
daemon off;
pid {conf}/nginx.pid;
error_log {conf}/error.log warn;
events {{ worker_connections 20000; }}
http {{
  access_log off;
  client_body_temp_path {conf}/spool-body;
  proxy_temp_path {conf}/spool-proxy;
  fastcgi_temp_path {conf}/spool-fastcgi;
  uwsgi_temp_path {conf}/spool-uwsgi;
  scgi_temp_path {conf}/spool-scgi;
  include snippets/maps.conf;
  upstream api {{ server 127.0.0.1:{self.api_port}; keepalive 16; }}
  upstream realtime {{
{realtime}
  }}
  server {{
    listen 127.0.0.1:{self.nginx_port};
    location /ws/ {{ include snippets/proxy-realtime.conf; }}
    location / {{ include snippets/proxy-api.conf; }}
  }}
}}
"""
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self._spawn("nginx", [nginx, "-p", str(conf), "-c", str(conf / "nginx.conf")])

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port or self.api_port}"

    def socket_urls(self) -> list[str]:
        if self.nginx_port:
            return [f"ws://127.0.0.1:{self.nginx_port}/ws/v1/"]
        return [f"ws://127.0.0.1:{port}/ws/v1/" for port in self.realtime_ports]

    def realtime_pids(self) -> list[int]:
        return [p.pid for name, p in self.children if name.startswith("realtime")]

    def stop(self) -> None:
        for _, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in self.children:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def bench_environment(args: argparse.Namespace) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": args.secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CHANNEL_LAYER_BACKEND": LAYERS[args.layer],
        "PYTHONPATH": os.pathsep.join([str(API_DIR), str(REALTIME_DIR)]),
        "LOG_LEVEL": "WARNING",
        "JWT_ACCESS_MINUTES": "120",
        # One writer account drives every change: the write throttles would stop it.
        "THROTTLE_RATE_USER": "1000000/hour",
        "THROTTLE_RATE_BURST": "1000000/minute",
        "THROTTLE_RATE_SUSTAINED": "1000000/hour",
        "DB_POOL_MAX_SIZE": "8",
    }


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


# -- the data -------------------------------------------------------------------------------------


def prepare_database(args: argparse.Namespace) -> None:
    """Creates the bench database when missing and migrates it."""
    import psycopg

    name = args.database_url.rsplit("/", 1)[1]
    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=API_DIR,
        env={**os.environ, **bench_environment(args)},
        check=True,
        timeout=600,
    )
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()


@dataclass
class World:
    project: int
    tasks: list[int]
    writer_token: str
    reader_tokens: list[str]


def seed(args: argparse.Namespace, readers: int) -> World:
    """One workspace and project, TASKS tasks, a writer and `readers` viewer accounts, each with
    an access token minted the way the API mints them."""
    os.environ.update(bench_environment(args))
    sys.path[:0] = [str(API_DIR), str(REALTIME_DIR)]
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import AccessToken

    from tasks import commands as task_commands
    from workspaces import commands as workspace_commands
    from workspaces.models import Membership, Role

    user_model = get_user_model()
    run = secrets.token_hex(4)
    writer = user_model.objects.create_user(f"bench-writer-{run}", password=None)
    workspace = workspace_commands.workspace_create(actor=writer, name=f"bench {run}")
    project = workspace_commands.project_create(actor=writer, workspace=workspace, name="bench")
    tasks = [
        task_commands.task_create(actor=writer, project=project, title=f"task {n}").pk
        for n in range(TASKS)
    ]
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"bench-{run}-{n}", password=make_password(None))
            for n in range(readers)
        ]
    )
    Membership.objects.bulk_create(
        [Membership(workspace=workspace, user=user, role=Role.VIEWER) for user in users]
    )
    return World(
        project=project.pk,
        tasks=tasks,
        writer_token=str(AccessToken.for_user(writer)),
        reader_tokens=[str(AccessToken.for_user(user)) for user in users],
    )


# -- the clients ----------------------------------------------------------------------------------


@dataclass
class Tally:
    """What every socket received, shared by all of them (one event loop, no locks needed)."""

    received: Counter[str] = field(default_factory=Counter)
    from_commit: list[float] = field(default_factory=list)
    receive_times: dict[str, list[float]] = field(default_factory=dict)
    duplicates: int = 0
    out_of_order: int = 0
    closed: Counter[int] = field(default_factory=Counter)


class Reader:
    def __init__(self, url: str, token: str, project: int, tally: Tally) -> None:
        self.url, self.token, self.project, self.tally = url, token, project, tally
        self.connection: ClientConnection | None = None
        self.versions: dict[str, int] = {}
        self.task: asyncio.Task[None] | None = None

    async def open(self, timeout: float) -> None:
        self.connection = await websockets.connect(
            self.url, open_timeout=timeout, max_queue=None, ping_interval=None
        )
        await self.connection.send(json.dumps({"type": "auth", "token": self.token}))
        await self._expect("authenticated", timeout)
        await self.connection.send(json.dumps({"type": "subscribe", "project": self.project}))
        await self._expect("subscribed", timeout)
        self.task = asyncio.create_task(self._read())

    async def _expect(self, kind: str, timeout: float) -> None:
        connection = self._open_connection()
        message = json.loads(await asyncio.wait_for(connection.recv(), timeout))
        if message.get("type") != kind:
            raise RuntimeError(f"expected {kind}, got {message}")

    def _open_connection(self) -> ClientConnection:
        if self.connection is None:
            raise RuntimeError("the socket is not open")
        return self.connection

    async def _read(self) -> None:
        connection = self._open_connection()
        try:
            async for raw in connection:
                now = time.time()
                message = orjson.loads(raw)
                if message.get("type") != "event":
                    continue
                event = message["event"]
                request_id = event["request_id"]
                stream, version = event["stream"], event["version"]
                last = self.versions.get(stream, 0)
                if version <= last:
                    self.tally.duplicates += 1
                    continue
                if version != last + 1 and last:
                    self.tally.out_of_order += 1
                self.versions[stream] = version
                if not request_id.startswith("bench-"):
                    continue
                self.tally.received[request_id] += 1
                committed = datetime.fromisoformat(event["occurred_at"]).timestamp()
                self.tally.from_commit.append(now - committed)
                self.tally.receive_times.setdefault(request_id, []).append(now)
        except websockets.ConnectionClosed as closed:
            self.tally.closed[closed.rcvd.code if closed.rcvd else 1006] += 1

    async def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.connection.close(), 5)
        if self.task is not None:
            self.task.cancel()


async def open_readers(
    urls: list[str], tokens: list[str], project: int, tally: Tally, concurrency: int
) -> tuple[list[Reader], int, float]:
    limit = asyncio.Semaphore(concurrency)
    readers = [Reader(urls[n % len(urls)], token, project, tally) for n, token in enumerate(tokens)]
    failures = 0

    async def one(reader: Reader) -> None:
        nonlocal failures
        async with limit:
            try:
                await reader.open(timeout=30)
            except Exception:
                failures += 1
                reader.connection = None

    started = time.monotonic()
    await asyncio.gather(*(one(reader) for reader in readers))
    return [r for r in readers if r.connection is not None], failures, time.monotonic() - started


def drive_writes(api: str, world: World, events: int, rate: float, prefix: str) -> dict[str, Any]:
    """Task renames through the REST API at `rate` per second; runs in a thread."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {world.writer_token}"
    responded: dict[str, float] = {}
    failures = 0
    started = time.monotonic()
    for n in range(events):
        due = started + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        request_id = f"{prefix}-{n}"
        task = world.tasks[n % len(world.tasks)]
        response = session.patch(
            f"{api}/api/v1/tasks/{task}/",
            json={"title": f"{request_id}"},
            headers={"X-Request-ID": request_id},
            timeout=30,
        )
        if response.status_code == 200:
            responded[request_id] = time.time()
        else:
            failures += 1
    return {"responded": responded, "failures": failures, "seconds": time.monotonic() - started}


_direct_versions: Counter[str] = Counter()


async def publish_directly(world: World, events: int, rate: float, prefix: str) -> dict[str, Any]:
    """Events published straight to the channel layer, as the relay does, without the API, the
    database or the relay: the realtime service's own share of the latency."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    group = f"project.{world.project}"
    published: dict[str, float] = {}
    started = time.monotonic()
    for n in range(events):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        stream = f"task-{900_000_000 + n % TASKS}"
        _direct_versions[stream] += 1
        request_id = f"{prefix}-{n}"
        now = time.time()
        event = {
            "id": 900_000_000 + sum(_direct_versions.values()),
            "type": "TaskRenamed",
            "stream": stream,
            "version": _direct_versions[stream],
            "data": {"title": request_id, "previous_title": ""},
            "occurred_at": datetime.fromtimestamp(now, UTC).isoformat(),
            "request_id": request_id,
        }
        await layer.group_send(group, {"type": "event.message", "group": group, "event": event})
        published[request_id] = now
    return {"responded": published, "failures": 0, "seconds": time.monotonic() - started}


# -- the realtime processes' own view ------------------------------------------------------------


def process_sample(pid: int) -> tuple[float, float]:
    """(RSS in MiB, CPU seconds used so far) of one process."""
    rss = 0.0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / ticks


def server_histogram(port: int, name: str = "event_delivery_latency_seconds") -> dict[float, float]:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith(f"{name}_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = float(
                line.rsplit(" ", 1)[1]
            )
    return buckets


def histogram_quantile(buckets: dict[float, float], fraction: float) -> float:
    """The upper bound of the bucket holding the quantile (Prometheus style, no interpolation)."""
    total = max(buckets.values(), default=0)
    if not total:
        return float("nan")
    for bound in sorted(buckets):
        if buckets[bound] >= fraction * total:
            return bound
    return float("inf")


# -- one step -------------------------------------------------------------------------------------


@dataclass
class StepResult:
    sockets_wanted: int
    sockets_held: int
    open_failures: int
    open_seconds: float
    events: int
    write_failures: int
    achieved_rate: float
    expected_deliveries: int
    delivered: int
    lost: int
    duplicates: int
    out_of_order: int
    server_closes: dict[str, int]
    commit_p50_ms: float
    commit_p95_ms: float
    commit_p99_ms: float
    commit_max_ms: float
    response_p50_ms: float
    response_p95_ms: float
    response_p99_ms: float
    server_p50_le_ms: float
    server_p95_le_ms: float
    server_p99_le_ms: float
    relay_p50_le_ms: float
    relay_p95_le_ms: float
    load_average_before: float
    realtime_rss_idle_mib: list[float]
    realtime_rss_peak_mib: list[float]
    realtime_cpu_percent: list[float]
    realtime_cpu_us_per_delivery: float
    bench_client_cpu_percent: float


async def run_step(
    services: Services,
    world: World,
    readers: list[Reader],
    tally: Tally,
    wanted: int,
    failures: int,
    open_seconds: float,
    args: argparse.Namespace,
    step: int,
) -> StepResult:
    pids = services.realtime_pids()
    await asyncio.sleep(2)  # let connection setup settle before sampling
    idle = [process_sample(pid) for pid in pids]
    before_hist = [server_histogram(p) for p in services.realtime_ports]
    relay_before = server_histogram(services.relay_metrics_port, "event_dispatch_latency_seconds")
    load_before = os.getloadavg()[0]
    tally.received.clear()
    tally.from_commit.clear()
    tally.receive_times.clear()
    client_cpu_before = time.process_time()
    wall_before = time.monotonic()

    peaks = [rss for rss, _ in idle]
    sampling = True

    async def sample_memory() -> None:
        while sampling:
            for n, pid in enumerate(pids):
                with contextlib.suppress(OSError):
                    peaks[n] = max(peaks[n], process_sample(pid)[0])
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_memory())
    if args.direct:
        writes = await publish_directly(world, args.events, args.rate, f"bench-{step}")
    else:
        writes = await asyncio.to_thread(
            drive_writes, services.api_url, world, args.events, args.rate, f"bench-{step}"
        )
    expected = len(writes["responded"]) * len(readers)
    deadline = time.monotonic() + args.drain_seconds
    while sum(tally.received.values()) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    sampling = False
    await sampler
    wall = time.monotonic() - wall_before
    busy = [process_sample(pid) for pid in pids]
    client_cpu = time.process_time() - client_cpu_before
    after_hist = [server_histogram(p) for p in services.realtime_ports]
    relay_after = server_histogram(services.relay_metrics_port, "event_dispatch_latency_seconds")
    relay = {bound: count - relay_before.get(bound, 0) for bound, count in relay_after.items()}
    server: dict[float, float] = {}
    for before, after in zip(before_hist, after_hist, strict=True):
        for bound, count in after.items():
            server[bound] = server.get(bound, 0.0) + count - before.get(bound, 0.0)

    from_response = [
        received - writes["responded"][request_id]
        for request_id, times in tally.receive_times.items()
        if request_id in writes["responded"]
        for received in times
    ]
    delivered = sum(tally.received.values())
    ms = 1000.0
    return StepResult(
        sockets_wanted=wanted,
        sockets_held=sum(
            1 for r in readers if r.connection is not None and r.task and not r.task.done()
        ),
        open_failures=failures,
        open_seconds=round(open_seconds, 2),
        events=len(writes["responded"]),
        write_failures=writes["failures"],
        achieved_rate=round(args.events / writes["seconds"], 1),
        expected_deliveries=expected,
        delivered=delivered,
        lost=max(0, expected - delivered),
        duplicates=tally.duplicates,
        out_of_order=tally.out_of_order,
        server_closes={str(code): n for code, n in tally.closed.items()},
        commit_p50_ms=round(percentile(tally.from_commit, 0.50) * ms, 1),
        commit_p95_ms=round(percentile(tally.from_commit, 0.95) * ms, 1),
        commit_p99_ms=round(percentile(tally.from_commit, 0.99) * ms, 1),
        commit_max_ms=round(max(tally.from_commit, default=float("nan")) * ms, 1),
        response_p50_ms=round(percentile(from_response, 0.50) * ms, 1),
        response_p95_ms=round(percentile(from_response, 0.95) * ms, 1),
        response_p99_ms=round(percentile(from_response, 0.99) * ms, 1),
        server_p50_le_ms=histogram_quantile(server, 0.50) * ms,
        server_p95_le_ms=histogram_quantile(server, 0.95) * ms,
        server_p99_le_ms=histogram_quantile(server, 0.99) * ms,
        relay_p50_le_ms=histogram_quantile(relay, 0.50) * ms,
        relay_p95_le_ms=histogram_quantile(relay, 0.95) * ms,
        load_average_before=round(load_before, 2),
        realtime_rss_idle_mib=[round(rss, 1) for rss, _ in idle],
        realtime_rss_peak_mib=[round(rss, 1) for rss in peaks],
        realtime_cpu_percent=[
            round(100 * (b[1] - i[1]) / wall, 1) for i, b in zip(idle, busy, strict=True)
        ],
        realtime_cpu_us_per_delivery=round(
            1e6 * sum(b[1] - i[1] for i, b in zip(idle, busy, strict=True)) / max(1, delivered), 1
        ),
        bench_client_cpu_percent=round(100 * client_cpu / wall, 1),
    )


async def layer_roundtrips(args: argparse.Namespace, count: int) -> dict[str, dict[str, float]]:
    """Each channel-layer class on its own: `count` group_send -> receive round trips of an
    event-sized message through Redis, one at a time, as the relay publishes and a hub receives."""
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    host = {"address": args.redis_url, "socket_timeout": 15.0}
    results = {}
    for name, layer in (
        ("core", RedisChannelLayer(hosts=[host], prefix="bench-ws-core")),
        ("pubsub", RedisPubSubChannelLayer(hosts=[host], prefix="bench-ws-pubsub")),
    ):
        channel = await layer.new_channel()
        await layer.group_add("project.bench", channel)
        event = {
            "id": 1,
            "type": "TaskRenamed",
            "stream": "task-1",
            "version": 1,
            "data": {"title": "x" * 40, "previous_title": "y" * 40},
            "occurred_at": datetime.now(UTC).isoformat(),
            "request_id": "r" * 32,
        }
        message = {"type": "event.message", "group": "project.bench", "event": event}
        sends, trips = [], []
        cpu = time.process_time()
        for _ in range(count):
            started = time.perf_counter()
            await layer.group_send("project.bench", message)
            sent = time.perf_counter()
            await asyncio.wait_for(layer.receive(channel), 10)
            sends.append(sent - started)
            trips.append(time.perf_counter() - started)
        cpu = time.process_time() - cpu
        await layer.group_discard("project.bench", channel)
        await layer.flush()
        results[name] = {
            "group_send_p50_ms": round(percentile(sends, 0.5) * 1000, 3),
            "group_send_p95_ms": round(percentile(sends, 0.95) * 1000, 3),
            "round_trip_p50_ms": round(percentile(trips, 0.5) * 1000, 3),
            "round_trip_p95_ms": round(percentile(trips, 0.95) * 1000, 3),
            "cpu_us_per_round_trip": round(cpu / count * 1e6, 1),
        }
        print(f"   {name:6} {results[name]}", flush=True)
    return results


def gave_way(result: StepResult, latency_counts: bool = True) -> str | None:
    if result.open_failures:
        return f"{result.open_failures} sockets failed to open"
    if result.lost:
        return f"{result.lost} deliveries lost"
    if latency_counts and result.commit_p95_ms > P95_TARGET * 1000:
        return f"p95 {result.commit_p95_ms} ms is over the {P95_TARGET * 1000:.0f} ms target"
    return None


def socket_steps(args: argparse.Namespace) -> list[int]:
    return list(range(args.sockets, args.max_sockets + 1, args.step)) or [args.sockets]


async def bench(args: argparse.Namespace, world: World) -> list[StepResult]:
    steps = socket_steps(args)
    results: list[StepResult] = []
    with tempfile.TemporaryDirectory(prefix="bench-ws-") as tmp:
        services = Services(args, Path(tmp))
        try:
            services.start()
            tally = Tally()
            readers: list[Reader] = []
            urls = services.socket_urls()
            for number, wanted in enumerate(steps):
                tokens = world.reader_tokens[len(readers) : wanted]
                opened, failures, seconds = await open_readers(
                    urls, tokens, world.project, tally, args.connect_concurrency
                )
                readers += opened
                result = await run_step(
                    services, world, readers, tally, wanted, failures, seconds, args, number
                )
                results.append(result)
                print_step(result, args)
                reason = gave_way(result, args.stop_on_latency)
                if reason:
                    print(f"stopped ramping at {wanted} sockets: {reason}", flush=True)
                    break
            await asyncio.gather(*(reader.close() for reader in readers))
        finally:
            services.stop()
            if args.keep_logs:
                shutil.copytree(tmp, args.keep_logs, dirs_exist_ok=True)
    return results


def print_step(result: StepResult, args: argparse.Namespace) -> None:
    print(
        f"\n== {result.sockets_held}/{result.sockets_wanted} sockets held "
        f"({result.open_failures} failed to open, opened in {result.open_seconds} s), "
        f"layer {args.layer}, {args.realtime_processes} realtime process(es), "
        f"{'published directly to the layer' if args.direct else 'writes through the API'}, "
        f"{'through nginx' if args.nginx else 'direct'}\n"
        f"   events {result.events} at {result.achieved_rate}/s, deliveries "
        f"{result.delivered}/{result.expected_deliveries}, lost {result.lost}, "
        f"duplicates {result.duplicates}, out of order {result.out_of_order}, "
        f"closed by server {result.server_closes or 'none'}\n"
        f"   commit -> socket   p50 {result.commit_p50_ms} ms  p95 {result.commit_p95_ms} ms  "
        f"p99 {result.commit_p99_ms} ms  max {result.commit_max_ms} ms\n"
        f"   response -> socket p50 {result.response_p50_ms} ms  p95 {result.response_p95_ms} ms"
        f"  p99 {result.response_p99_ms} ms\n"
        f"   server histogram (commit -> send, bucket bound) p50 <= {result.server_p50_le_ms} ms"
        f"  p95 <= {result.server_p95_le_ms} ms  p99 <= {result.server_p99_le_ms} ms\n"
        f"   relay histogram (commit -> publish) p50 <= {result.relay_p50_le_ms} ms"
        f"  p95 <= {result.relay_p95_le_ms} ms; load average before the step "
        f"{result.load_average_before}\n"
        f"   realtime RSS idle {result.realtime_rss_idle_mib} MiB, peak "
        f"{result.realtime_rss_peak_mib} MiB, CPU {result.realtime_cpu_percent} % of a core "
        f"({result.realtime_cpu_us_per_delivery} µs per delivery); "
        f"bench client CPU {result.bench_client_cpu_percent} %",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=1000, help="sockets of the first step")
    parser.add_argument("--step", type=int, default=1000, help="sockets added per further step")
    parser.add_argument("--max-sockets", type=int, default=1000, help="stop ramping here")
    parser.add_argument("--events", type=int, default=200, help="task changes per step")
    parser.add_argument("--rate", type=float, default=10.0, help="task changes per second")
    parser.add_argument("--layer", choices=sorted(LAYERS), default="pubsub")
    parser.add_argument("--realtime-processes", type=int, default=1)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument(
        "--stop-on-latency",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="stop ramping once p95 passes the target (else only on failures and losses)",
    )
    parser.add_argument(
        "--layer-roundtrips",
        type=int,
        default=0,
        help="only compare the two channel layers: this many round trips each, then exit",
    )
    parser.add_argument(
        "--direct",
        action="store_true",
        help="publish to the channel layer directly (no API, database or relay): the realtime "
        "service's own latency",
    )
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--drain-seconds", type=float, default=30.0)
    parser.add_argument("--nginx", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/taskboard_bench_ws"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument("--keep-logs", type=Path, help="copy the processes' logs here")
    args = parser.parse_args()
    if args.nginx is None:
        args.nginx = shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()
    for url in (args.database_url, args.redis_url):
        if "127.0.0.1" not in url and "localhost" not in url:
            parser.error("the benchmark only talks to 127.0.0.1")
    args.secret_key = secrets.token_urlsafe(64)

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    needed = 2 * args.max_sockets + 200
    if hard < needed:
        print(f"warning: the descriptor limit {hard} is below the {needed} this run needs")

    print(
        f"machine: {platform.node()}, {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.platform()}",
        flush=True,
    )
    threading.current_thread().name = "bench"
    if args.layer_roundtrips:
        print(f"channel layers, {args.layer_roundtrips} round trips each, load {os.getloadavg()}")
        roundtrips = asyncio.run(layer_roundtrips(args, args.layer_roundtrips))
        if args.json:
            args.json.write_text(json.dumps(roundtrips, indent=2))
        return 0
    prepare_database(args)
    world = seed(args, readers=socket_steps(args)[-1])
    results = asyncio.run(bench(args, world))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "layer": args.layer,
                    "realtime_processes": args.realtime_processes,
                    "nginx": args.nginx,
                    "rate": args.rate,
                    "events": args.events,
                    "steps": [asdict(r) for r in results],
                },
                indent=2,
            )
        )
    first = results[0] if results else None
    if first is None or gave_way(first):
        print("the 1,000-socket target was not met", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
