"""The flags and the run."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import secrets
import shutil
import threading
from dataclasses import asdict
from pathlib import Path

from harness import PERCENTILE_DEFINITION
from ws_bench.config import LAYERS
from ws_bench.data import prepare_database, seed
from ws_bench.layers import layer_roundtrips
from ws_bench.run import bench, socket_steps
from ws_bench.step import gave_way


def main(description: str) -> int:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawTextHelpFormatter
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
        print(
            f"channel layers, {args.layer_roundtrips} round trips each, load {os.getloadavg()}; "
            f"percentiles: {PERCENTILE_DEFINITION}"
        )
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
