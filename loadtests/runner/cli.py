"""The flags and the run: check the target, seed, the phases, the verdict, summary.json."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
import tomllib
from pathlib import Path
from typing import Any

import stack_env

from runner.common import DEFAULT_TARGET, HERE, say
from runner.phases import gunicorn_workers_rss, phase_mixed, phase_read, seed
from runner.target import get, is_local, machine, throttle_settings
from runner.verdict import fmt, print_table, verdict


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Load test against the targets of loadtests/targets.toml"
    )
    parser.add_argument("--profile", default="full")
    parser.add_argument("--target", default=os.environ.get("TARGET") or DEFAULT_TARGET)
    parser.add_argument("--targets-file", default=str(HERE / "targets.toml"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or 0))
    parser.add_argument("--master-port", type=int, default=5557)
    parser.add_argument("--phases", default="read,mixed")
    parser.add_argument("--reports", default=str(HERE / "reports"))
    parser.add_argument("--ca", default=None, help="CA bundle of the target (local: the stack's)")
    parser.add_argument("--metrics-url", default=None, help="the api's /metrics (local default)")
    parser.add_argument("--realtime-metrics-url", default=None)
    parser.add_argument("--prometheus-url", default=os.environ.get("PROMETHEUS_URL"))
    parser.add_argument(
        "--loadgen-cpus",
        default=os.environ.get("LOADGEN_CPUS"),
        help="taskset CPU list for Locust (default: the last CPU when local)",
    )
    parser.add_argument("--progress-every", type=float, default=5)
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--allow-default-throttles", action="store_true")
    parser.add_argument("--users", type=int, default=200, help="seeded accounts")
    parser.add_argument("--workspaces", type=int, default=20)
    parser.add_argument("--projects", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=40)
    args = parser.parse_args()

    args.targets = tomllib.loads(Path(args.targets_file).read_text())
    profiles = args.targets.get("profiles", {})
    if args.profile not in profiles:
        parser.error(
            f"unknown profile {args.profile!r}; {args.targets_file} has {sorted(profiles)}"
        )
    args.profile_conf = profiles[args.profile]
    args.spawn_rate = float(args.profile_conf.get("spawn_rate", 50))
    args.local = is_local(args.target)
    args.shape = {
        "users": args.users,
        "workspaces": args.workspaces,
        "projects": args.projects,
        "tasks": args.tasks,
    }
    if args.local:
        args.ca = args.ca or str(stack_env.STACK_DIR / "certs" / "ca.crt")
        args.metrics_url = args.metrics_url or "http://127.0.0.1:8010/metrics"
        args.realtime_metrics_url = args.realtime_metrics_url or "http://127.0.0.1:8011/metrics"
        if args.loadgen_cpus is None and (os.cpu_count() or 1) > 1:
            args.loadgen_cpus = str((os.cpu_count() or 1) - 1)
    if args.loadgen_cpus and not shutil.which("taskset"):
        args.loadgen_cpus = None

    run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{args.profile}"
    args.run_dir = Path(args.reports) / run_id
    args.run_dir.mkdir(parents=True, exist_ok=True)
    args.dataset = Path(args.reports) / "dataset.json"
    latest = Path(args.reports) / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(run_id)

    info = machine()
    say(f"run {run_id} against {args.target} (profile {args.profile}, targets {args.targets_file})")
    say(
        f"machine: {info['cpus']} CPUs, {info['memory_gib']} GiB, load average "
        f"{' '.join(str(x) for x in info['load_average'])}; Locust pinned to CPUs "
        f"{args.loadgen_cpus or 'none (not pinned)'}"
    )
    try:
        get(args.target.rstrip("/") + "/readyz")
    except OSError as error:
        say(f"the target does not answer {args.target}/readyz: {error}")
        return 2

    throttles = throttle_settings() if args.local else None
    if args.local:
        if throttles is None:
            say(
                "no local stack found (supervisorctl): start it with `make stack-up` or use TARGET="
            )
            return 2
        low = {k: v for k, v in throttles.items() if v != stack_env.LOADTEST_THROTTLE_RATES[k]}
        if low and not args.allow_default_throttles:
            say(
                "the running stack has its normal throttle rates, so this would measure the rate "
                f"limiter, not capacity: {low}. Restart it with the load test's rates: "
                "`make stack-down` then `make loadtest` (it starts the stack with them), or "
                "`make loadtest RESTART=1`."
            )
            return 2
        say(
            "throttle rates raised through the environment for this run (capacity, not the "
            f"limiter, is measured): {throttles}"
        )
    else:
        say(
            "remote target: its throttle rates must be raised for the load test (see "
            "docs/load-testing.md); the cache hit rate needs --prometheus-url or --metrics-url"
        )

    results: dict[str, Any] = {
        "run": run_id,
        "target": args.target,
        "profile": args.profile,
        "machine": info,
        "throttle_rates": throttles,
        "loadgen_cpus": args.loadgen_cpus,
        "workers": args.workers,
    }
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    for phase in phases:
        seed(args)  # before every phase: fresh tokens, and the data is there before the clock
        if phase == "read":
            results["read"] = phase_read(args, args.profile_conf)
        elif phase == "mixed":
            results["mixed"] = phase_mixed(args, args.profile_conf)
        else:
            parser.error(f"unknown phase {phase}")
    if args.local:
        results["gunicorn_workers_rss_mb"] = gunicorn_workers_rss()
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]

    rows = verdict(args, results)
    results["targets"] = rows
    results["passed"] = all(r["result"] in ("pass", "skipped") for r in rows)
    (args.run_dir / "summary.json").write_text(json.dumps(results, indent=2))

    read = results.get("read", {})
    if read:
        cache = read.get("cache") or {}
        say(
            f"read: offered {read['offered_rps']:.0f} req/s; cache hits {cache.get('hits', '?')}, "
            f"misses {cache.get('misses', '?')}; Gunicorn CPU per request "
            f"{read.get('gunicorn_cpu_ms_per_request', '-')} ms"
        )
    mixed = results.get("mixed", {})
    if mixed:
        g = mixed["groups"]
        say(
            f"mixed: writes {g['write'].get('rps', 0)} req/s (p95 {g['write'].get('p95_ms')} ms), "
            f"auth p95 {g['auth'].get('p95_ms')} ms, login p95 "
            f"{mixed['requests'].get('POST auth: login', {}).get('p95_ms')} ms, server-side "
            f"delivery p95 (commit to send) {fmt(mixed.get('server_delivery_p95_ms'), 'ms')}, "
            f"sockets seen by the server {mixed.get('server_max_sockets')}"
        )
    print_table(rows)
    say(f"reports: {args.run_dir} (Locust HTML and CSV per phase, summary.json)")
    missed = [r["what"] for r in rows if r["result"] not in ("pass", "skipped")]
    if missed:
        say(f"{len(missed)} target(s) missed or not measured: {', '.join(missed)}")
        return 1
    say("every target met")
    return 0
