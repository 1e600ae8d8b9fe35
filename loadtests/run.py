#!/usr/bin/env python
"""`make loadtest`: seed, load the target in two phases, check the targets, report.

    python loadtests/run.py [--profile full|smoke] [--target URL] [--workers N]

Phase 1, read: the read-heavy mix offered at the target rate; throughput, latency, errors, and
the cache hit rate from the platform's own `cache_requests_total` before and after.
Phase 2, mixed: reads, the write mix, the auth flow, live writers and WebSocket users holding
their sockets; latency, errors, sockets held, event delivery latency, realtime memory.
Then Gunicorn worker memory, a table of target / measured / pass-fail, and exit status 1 when any
target is missed (2 when the run itself could not be made).

Everything lands in loadtests/reports/<run id>/: Locust's HTML report and CSV files per phase,
the Locust logs, and summary.json (reports/latest points at the last run).
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stack_env  # noqa: E402

LOCUST = stack_env.VENV_BIN / "locust"
DEFAULT_TARGET = "https://127.0.0.1:8443"


def say(message: str) -> None:
    print(f"loadtest: {message}", flush=True)


# --- the machine and the target ----------------------------------------------------------------


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "memory_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def is_local(target: str) -> bool:
    host = urllib.parse.urlsplit(target).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def get(url: str, timeout: float = 10) -> str:
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310
        return response.read().decode()


def throttle_settings() -> dict[str, str] | None:
    """The THROTTLE_RATE_* the local stack's api runs with (None: no local stack)."""
    pid = stack_env.program_pid("api")
    if pid is None:
        return None
    env = stack_env.process_env(pid)
    return {k: env.get(k, "(default)") for k in stack_env.LOADTEST_THROTTLE_RATES}


# --- metrics ------------------------------------------------------------------------------------


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    samples = {}
    for family in text_string_to_metric_families(get(url)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


# The principal cache (the caller's user row and roles, looked up on every authenticated request)
# hits almost always; counting it would flatter the read caches' hit rate, the target's subject.
NOT_READ_CACHES = ("principal",)


def cache_counts(args: argparse.Namespace) -> dict[str, float] | None:
    """hit and miss totals of cache_requests_total over the read caches, from /metrics or else
    Prometheus."""
    try:
        if args.metrics_url:
            counts = {"hit": 0.0, "miss": 0.0}
            for (name, labels), value in scrape(args.metrics_url).items():
                if name == "cache_requests_total":
                    result = dict(labels).get("result")
                    if result in counts and dict(labels).get("cache") not in NOT_READ_CACHES:
                        counts[result] += value
            return counts
        if args.prometheus_url:
            excluded = "|".join(NOT_READ_CACHES)
            query = urllib.parse.urlencode(
                {"query": f'sum by (result) (cache_requests_total{{cache!~"{excluded}"}})'}
            )
            body = json.loads(get(f"{args.prometheus_url.rstrip('/')}/api/v1/query?{query}"))
            return {
                r["metric"].get("result", "?"): float(r["value"][1]) for r in body["data"]["result"]
            }
    except (OSError, ValueError, KeyError) as error:
        say(f"warning: cannot read the cache metrics: {error}")
    return None


def histogram(url: str, name: str) -> dict[float, float]:
    buckets: dict[float, float] = {}
    for (sample, labels), value in scrape(url).items():
        if sample == f"{name}_bucket":
            le = float(dict(labels)["le"])
            buckets[le] = buckets.get(le, 0.0) + value
    return buckets


def histogram_p95(before: dict[float, float], after: dict[float, float]) -> float | None:
    """p95 (ms) of the observations between two scrapes, interpolated like histogram_quantile."""
    delta = sorted((le, after.get(le, 0) - before.get(le, 0)) for le in after)
    if not delta or delta[-1][1] <= 0:
        return None
    rank, lower, below = 0.95 * delta[-1][1], 0.0, 0.0
    for le, count in delta:
        if count >= rank:
            if le == float("inf"):
                return lower * 1000
            return (lower + (le - lower) * (rank - below) / max(count - below, 1e-9)) * 1000
        lower, below = le, count
    return None


# --- running Locust -----------------------------------------------------------------------------


class Sampler:
    """Samples, during a phase, the realtime process's memory and open sockets (local only)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.realtime_pid = stack_env.program_pid("realtime") if args.local else None
        self.max_rss = 0.0
        self.max_sockets = 0.0

    def sample(self) -> None:
        if self.realtime_pid:
            rss = stack_env.rss_mb(self.realtime_pid) or 0
            self.max_rss = max(self.max_rss, rss)
        if self.args.realtime_metrics_url:
            try:
                for (name, _), value in scrape(self.args.realtime_metrics_url).items():
                    if name == "ws_connections_active":
                        self.max_sockets = max(self.max_sockets, value)
            except (OSError, ValueError):
                pass


def progress_line(history: Path, phase: str, elapsed: float, total: float) -> str | None:
    try:
        with history.open() as handle:
            rows = [r for r in csv.DictReader(handle) if r.get("Name") == "Aggregated"]
    except OSError:
        return None
    if not rows:
        return None
    row = rows[-1]

    def num(key: str) -> float:
        try:
            return float(row.get(key) or 0)
        except ValueError:
            return 0.0

    return (
        f"[{phase} {int(elapsed):>3}/{int(total)} s] users {int(num('User Count')):>4}  "
        f"{num('Requests/s'):7.1f} req/s  p50 {num('50%'):5.0f} ms  p95 {num('95%'):5.0f} ms  "
        f"failures {int(num('Total Failure Count'))}/{int(num('Total Request Count'))}"
    )


def run_locust(
    args: argparse.Namespace,
    phase: str,
    classes: list[str],
    users: int,
    seconds: int,
    env_extra: dict[str, str],
    sampler: Sampler | None = None,
) -> dict[str, Any]:
    out = args.run_dir
    prefix = out / phase
    summary_path = out / f"{phase}-locust-summary.json"
    ramp = users / args.spawn_rate
    env = dict(os.environ)
    env.update(
        {
            "LOADTEST_DATASET": str(args.dataset),
            "LOADTEST_SUMMARY": str(summary_path),
            "LOADTEST_RAMP_SECONDS": f"{ramp:.1f}",
            "LOADTEST_LOGIN_INTERVAL": str(0.25 * max(args.workers, 1)),
            "PYTHONPATH": str(HERE),
        }
    )
    if args.ca:
        env["LOADTEST_CA"] = args.ca
    if args.profile_conf.get("accounts"):
        env["LOADTEST_ACCOUNTS"] = str(args.profile_conf["accounts"])
    env.update(env_extra)
    common = ["-f", str(HERE / "locustfile.py"), "--host", args.target]
    pin = ["taskset", "-c", args.loadgen_cpus] if args.loadgen_cpus else []
    total = int(seconds + ramp)
    master_cmd = [
        *pin,
        str(LOCUST),
        *common,
        "--headless",
        "-u",
        str(users),
        "-r",
        str(args.spawn_rate),
        "-t",
        f"{total}s",
        "--csv",
        str(prefix),
        "--csv-full-history",
        "--html",
        str(out / f"{phase}.html"),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--exit-code-on-error",
        "0",
        *classes,
    ]
    workers: list[subprocess.Popen[bytes]] = []
    logs = []
    if args.workers > 0:
        master_cmd += [
            "--master",
            "--expect-workers",
            str(args.workers),
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(args.master_port),
        ]
    log = (out / f"{phase}-locust.log").open("wb")
    logs.append(log)
    master = subprocess.Popen(
        master_cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    for n in range(args.workers):
        wlog = (out / f"{phase}-worker-{n}.log").open("wb")
        logs.append(wlog)
        workers.append(
            subprocess.Popen(
                [
                    *pin,
                    str(LOCUST),
                    *common,
                    "--worker",
                    "--master-host",
                    "127.0.0.1",
                    "--master-port",
                    str(args.master_port),
                    *classes,
                ],
                env=env,
                stdout=wlog,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    say(
        f"phase {phase}: {users} users ({', '.join(classes)}) for {seconds} s after a "
        f"{ramp:.0f} s ramp-up" + (f", {args.workers} workers" if args.workers else "")
    )
    started = time.monotonic()
    deadline = started + total + 120  # Locust stops itself; this only bounds a hang
    last_print = 0.0
    try:
        while master.poll() is None:
            if time.monotonic() > deadline:
                say(f"phase {phase}: Locust did not stop in time; stopping it")
                os.killpg(master.pid, signal.SIGTERM)
                break
            if sampler:
                sampler.sample()
            now = time.monotonic()
            if now - last_print >= args.progress_every:
                line = progress_line(
                    Path(f"{prefix}_stats_history.csv"), phase, now - started, total
                )
                if line:
                    print(line, flush=True)
                last_print = now
            time.sleep(1)
        master.wait(timeout=60)
    finally:
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)
        for handle in logs:
            handle.close()
    if master.returncode not in (0, 1) or not summary_path.is_file():
        tail = (out / f"{phase}-locust.log").read_text(errors="replace")[-3000:]
        raise SystemExit(
            f"loadtest: Locust failed in phase {phase} (exit {master.returncode}):\n{tail}"
        )
    return json.loads(summary_path.read_text())


# --- the phases ----------------------------------------------------------------------------------


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


# --- the verdict ---------------------------------------------------------------------------------

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
    print()


# --- entry point ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="Load test against the targets of DESIGN.md")
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


if __name__ == "__main__":
    sys.exit(main())
