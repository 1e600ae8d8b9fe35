"""The targets against what was measured: the table and the exit status."""

from __future__ import annotations

import argparse
from typing import Any

ROWS = [
    # key, label, "min" (measured must be >=) or "max" (measured must be <), unit
    ("read.throughput_rps", "read mix throughput", "min", "req/s"),
    ("read.p95_ms", "read mix p95 latency", "max", "ms"),
    ("read.p99_ms", "read mix p99 latency", "max", "ms"),
    ("read.error_rate", "read mix error rate", "max", "%"),
    ("read.cache_hit_rate", "cache hit rate (read mix)", "min", "%"),
    ("mixed.p95_ms", "mixed p95 latency (HTTP, no login)", "max", "ms"),
    ("mixed.error_rate", "mixed error rate (HTTP + WS)", "max", "%"),
    ("mixed.ws_connections", "WebSocket connections held", "min", ""),
    ("mixed.ws_delivery_p95_ms", "event delivery p95 (response to socket)", "max", "ms"),
    ("memory.gunicorn_worker_rss_mb", "Gunicorn worker RSS after the test (max)", "max", "MiB"),
    ("memory.realtime_rss_mb", "realtime RSS holding the sockets (max)", "max", "MiB"),
]


def measured_values(results: dict[str, Any]) -> dict[str, float | None]:
    read, mixed = results.get("read", {}), results.get("mixed", {})
    rg, mg = read.get("groups", {}), mixed.get("groups", {})
    mixed_requests = sum(mg.get(g, {}).get("requests", 0) for g in ("http", "ws_connect"))
    mixed_failures = sum(
        mg.get(g, {}).get("failures", 0) for g in ("http", "ws_connect", "ws_dropped")
    )
    held = None
    if "ws_connect" in mg:
        held = mg["ws_connect"].get("requests", 0) - mg["ws_connect"].get("failures", 0)
        held -= mg.get("ws_dropped", {}).get("failures", 0)
    rss = results.get("gunicorn_workers_rss_mb")
    return {
        "read.throughput_rps": rg.get("read", {}).get("rps"),
        "read.p95_ms": rg.get("read", {}).get("p95_ms"),
        "read.p99_ms": rg.get("read", {}).get("p99_ms"),
        "read.error_rate": rg.get("read", {}).get("error_rate"),
        "read.cache_hit_rate": (read.get("cache") or {}).get("hit_rate"),
        "mixed.p95_ms": mg.get("http_without_login", {}).get("p95_ms"),
        "mixed.error_rate": mixed_failures / mixed_requests if mixed_requests else None,
        "mixed.ws_connections": held,
        "mixed.ws_delivery_p95_ms": mg.get("ws_delivery", {}).get("p95_ms"),
        "memory.gunicorn_worker_rss_mb": max(rss) if rss else None,
        "memory.realtime_rss_mb": mixed.get("realtime_max_rss_mb"),
    }


def verdict(args: argparse.Namespace, results: dict[str, Any]) -> list[dict[str, Any]]:
    measured = measured_values(results)
    overrides = args.profile_conf.get("targets", {})
    rows = []
    for key, label, kind, unit in ROWS:
        section, name = key.split(".")
        target = overrides.get(key, args.targets.get(section, {}).get(name))
        if target is None or (overrides and key not in overrides):
            continue
        if section in ("read", "mixed") and section not in results:
            continue  # that phase was not run (--phases)
        value = measured.get(key)
        if value is None:
            status = "skipped" if section == "memory" and not args.local else "not measured"
        elif kind == "min":
            status = "pass" if value >= target else "FAIL"
        else:
            status = "pass" if value < target else "FAIL"
        rows.append(
            {
                "key": key,
                "what": label,
                "kind": kind,
                "target": target,
                "measured": value,
                "unit": unit,
                "result": status,
            }
        )
    return rows


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{value * 100:.2f} %"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f} {unit}".strip()
    return f"{value:,.0f} {unit}".strip()


# The percentiles are the tools' own estimates, not harness.percentile: there are no samples here.
PERCENTILES = (
    "percentiles: Locust's own (get_response_time_percentile over its rounded response times); "
    "server-side delivery: interpolated within the histogram's buckets, as histogram_quantile"
)


def print_table(rows: list[dict[str, Any]]) -> None:
    header = f"{'target':<44} {'wanted':>14} {'measured':>14}  result"
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        sign = ">=" if row["kind"] == "min" else "<"
        wanted = f"{sign} {fmt(row['target'], row['unit'])}"
        print(
            f"{row['what']:<44} {wanted:>14} {fmt(row['measured'], row['unit']):>14}  "
            f"{row['result']}"
        )
    print(f"({PERCENTILES})")
    print()
