"""Seeding and the two phases, read and mixed, and what is sampled around them."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path
from typing import Any

import stack_env

from runner.common import HERE
from runner.locust import Sampler, run_locust
from runner.metrics import cache_counts, histogram, histogram_p95


def seed(args: argparse.Namespace) -> None:
    if args.no_seed:
        return
    mode = "orm" if args.local else "api"
    shape = args.shape
    cmd = [
        str(stack_env.VENV_BIN / "python"),
        str(HERE / "seed.py"),
        "--mode",
        mode,
        "--target",
        args.target,
        "--out",
        str(args.dataset),
        "--users",
        str(shape["users"]),
        "--workspaces",
        str(shape["workspaces"]),
        "--projects",
        str(shape["projects"]),
        "--tasks",
        str(shape["tasks"]),
    ]
    if args.ca:
        cmd += ["--ca", args.ca]
    result = subprocess.run(cmd, timeout=1800, check=False)
    if result.returncode != 0:
        raise SystemExit("loadtest: seeding failed")


def phase_read(args: argparse.Namespace, profile: dict[str, Any]) -> dict[str, Any]:
    users = int(profile["read_users"])
    rate = float(profile.get("read_rps", args.targets["read"]["throughput_rps"]))
    warmup = int(profile.get("warmup_seconds", 0))
    if warmup:
        # The same mix, unjudged: the measured window starts with the cache in its steady state,
        # as it is in a deployment that has been serving for a while.
        run_locust(
            args,
            "warmup",
            ["ReadUser"],
            users,
            warmup,
            {"LOADTEST_READ_RATE": f"{rate / users:.3f}"},
        )
    before = cache_counts(args)
    api_pid = stack_env.program_pid("api") if args.local else None
    cpu_before = api_cpu_seconds(api_pid)
    summary = run_locust(
        args,
        "read",
        ["ReadUser"],
        users,
        int(profile["read_seconds"]),
        {"LOADTEST_READ_RATE": f"{rate / users:.3f}"},
    )
    if api_pid:
        # CPU time Gunicorn spent per request of the phase (warm-up excluded): unlike requests/s
        # it barely moves when other programs compete for the CPUs, so settings compare by it.
        served = summary["groups"]["read"].get("requests") or 1
        cpu_ms = (api_cpu_seconds(api_pid) - cpu_before) * 1000 / served
        summary["gunicorn_cpu_ms_per_request"] = round(cpu_ms, 2)
    after = cache_counts(args)
    hit_rate = None
    if before is not None and after is not None:
        hits = after.get("hit", 0) - before.get("hit", 0)
        misses = after.get("miss", 0) - before.get("miss", 0)
        hit_rate = hits / (hits + misses) if hits + misses > 0 else None
        summary["cache"] = {"hits": hits, "misses": misses, "hit_rate": hit_rate}
    summary["offered_rps"] = rate
    return summary


def phase_mixed(args: argparse.Namespace, profile: dict[str, Any]) -> dict[str, Any]:
    counts = {
        "SocketUser": int(profile["sockets"]),
        "LiveWriter": int(profile["live_writers"]),
        "WriteUser": int(profile["writers"]),
        "AuthFlowUser": int(profile["auth_users"]),
    }
    read_users = int(profile["mixed_read_users"])
    classes = [name for name, count in counts.items() if count > 0] + ["ReadUser"]
    users = sum(counts.values()) + read_users
    env = {
        "LOADTEST_SOCKETS": str(counts["SocketUser"]),
        "LOADTEST_LIVE_WRITERS": str(counts["LiveWriter"]),
        "LOADTEST_WRITERS": str(counts["WriteUser"]),
        "LOADTEST_AUTH_USERS": str(counts["AuthFlowUser"]),
        "LOADTEST_READ_RATE": f"{float(profile['mixed_read_rps']) / read_users:.3f}",
        "LOADTEST_WRITE_RATE": str(profile["write_rate"]),
        "LOADTEST_LIVE_RATE": str(profile["live_rate"]),
        "LOADTEST_AUTH_RATE": str(profile["auth_rate"]),
    }
    sampler = Sampler(args)
    delivery_before = (
        histogram(args.realtime_metrics_url, "event_delivery_latency_seconds")
        if args.realtime_metrics_url
        else {}
    )
    summary = run_locust(args, "mixed", classes, users, int(profile["mixed_seconds"]), env, sampler)
    if args.realtime_metrics_url:
        after = histogram(args.realtime_metrics_url, "event_delivery_latency_seconds")
        summary["server_delivery_p95_ms"] = histogram_p95(delivery_before, after)
    summary["realtime_max_rss_mb"] = round(sampler.max_rss, 1) if sampler.realtime_pid else None
    summary["server_max_sockets"] = sampler.max_sockets if args.realtime_metrics_url else None
    return summary


def api_cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of the Gunicorn master and its workers."""
    if not pid:
        return 0.0
    ticks = 0
    for each in [pid, *stack_env.children(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime and stime
    return ticks / os.sysconf("SC_CLK_TCK")


def gunicorn_workers_rss() -> list[float] | None:
    pid = stack_env.program_pid("api")
    if pid is None:
        return None
    return [round(r, 1) for r in (stack_env.rss_mb(c) for c in stack_env.children(pid)) if r]
