"""The machine the benchmark ran on and the table it prints."""

from __future__ import annotations

import argparse
import os
import platform
import sys
from typing import Any

from cache_bench.config import REDIS_URL
from harness import PERCENTILE_DEFINITION


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
        f"percentiles: {PERCENTILE_DEFINITION}, over every request of the mode's rounds",
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
