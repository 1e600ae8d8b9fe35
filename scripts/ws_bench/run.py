"""The ramp: the processes started, steps of more sockets until something gives, each printed."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from pathlib import Path

from harness import PERCENTILE_DEFINITION
from ws_bench.clients import Reader, Tally, open_readers
from ws_bench.data import World
from ws_bench.services import Services
from ws_bench.step import StepResult, gave_way, run_step


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
        f"   (socket percentiles: {PERCENTILE_DEFINITION})\n"
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
