"""One step of the ramp: hold the sockets, drive the changes, measure what arrived."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from dataclasses import dataclass

from harness import percentile
from ws_bench.clients import Reader, Tally
from ws_bench.config import P95_TARGET
from ws_bench.data import World
from ws_bench.probes import histogram_quantile, process_sample, server_histogram
from ws_bench.services import Services
from ws_bench.writes import drive_writes, publish_directly


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


def gave_way(result: StepResult, latency_counts: bool = True) -> str | None:
    if result.open_failures:
        return f"{result.open_failures} sockets failed to open"
    if result.lost:
        return f"{result.lost} deliveries lost"
    if latency_counts and result.commit_p95_ms > P95_TARGET * 1000:
        return f"p95 {result.commit_p95_ms} ms is over the {P95_TARGET * 1000:.0f} ms target"
    return None
