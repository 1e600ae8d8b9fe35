"""Rounds of one mode (cache on or off) and the figures they sum to."""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cache_bench.data import World
from cache_bench.mix import READS, WRITES, Client, Sample
from cache_bench.server import Server
from harness import percentile


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
