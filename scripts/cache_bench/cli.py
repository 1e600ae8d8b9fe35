"""The flags and the run: scratch database, private Redis, seed, rounds, report."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from cache_bench.config import API_DIR, REDIS_URL, SCRATCH, SERVER_URL
from cache_bench.data import seed, tokens
from cache_bench.measure import Measurement, run_mode, summarise
from cache_bench.report import machine, report
from cache_bench.server import django_env
from harness import free_port, start_redis_server


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
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


def main(description: str) -> int:
    args = parse_args(description)
    host = machine()
    scratch_url = urlunsplit(urlsplit(SERVER_URL)._replace(path=f"/{SCRATCH}"))
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{SCRATCH}"')
    # Unset BENCH_REDIS_URL: a redis-server of its own (config.REDIS_URL says why).
    private_redis, redis_url = None, REDIS_URL
    if not REDIS_URL:
        port = free_port()
        private_redis = start_redis_server(port)
        redis_url = f"redis://127.0.0.1:{port}/0"
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
