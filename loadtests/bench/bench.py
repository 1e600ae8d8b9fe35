#!/usr/bin/env python
"""`make bench`: regenerate docs/benchmarks.md, one run, side by side, on this machine.

Four ways to answer the same page (one project's first 20 tasks, as JSON over HTTPS):

  ceiling   nginx serving a static JSON file of the same size: the most this machine can do
  cached    the platform's task list through nginx (cache on: the production configuration)
  uncached  the same with CACHE_ENABLED=false (every read goes to PostgreSQL)
  baseline  a plain DRF ListAPIView over the same rows (bench/baseline_urls.py), through nginx

two floors (a plain Django view behind the platform's middleware, and a bare WSGI callable under
the same Gunicorn, bench/bare_wsgi.py), both answering the same bytes, and, in the same run, the
cached task detail against a static file of its own size, and two commands (a task PATCH, a
comment POST) one at a time: Gunicorn CPU per command from /proc and the SQL statements of one
command (bench/command_queries.py, in-process).

Each is measured with wrk (C, one thread, CONNECTIONS keep-alive connections, DURATION seconds
after a WARMUP), reporting requests/s and p50/p95/p99, and each as a ratio of the ceiling.

The servers are the platform's own: nginx with the repository's configuration (rendered by
scripts/stack/stack.sh, then moved to ports 18xxx so that the running stack is left alone) and
Gunicorn with services/api/gunicorn.conf.py and the stack's environment (production settings, its
PostgreSQL database and Redis, the throttle rates raised). Pinning: nginx and Gunicorn run under
`taskset -c SERVER_CPUS`, wrk under `taskset -c CLIENT_CPUS`; PostgreSQL and Redis are the
machine's services and are not pinned. With --tuning, the cached list is also measured under
several Gunicorn settings and the table goes into the report.

Before measuring it waits (at most --wait-max seconds) for the 1-minute load average to fall
under --wait-load, and records the load average next to every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import stack_env  # noqa: E402

from harness import ProcessStartError, ServerProcess  # noqa: E402

ROOT = stack_env.ROOT
PORTS = {"8010": "18010", "8011": "18011", "8080": "18080", "8081": "18081", "8443": "18443"}
BASE = "https://127.0.0.1:18443"


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def wait_for_quiet(threshold: float, max_seconds: float) -> dict[str, Any]:
    started = time.monotonic()
    while True:
        load = loadavg()
        if load[0] < threshold:
            return {"waited_s": round(time.monotonic() - started), "load": load, "quiet": True}
        if time.monotonic() - started >= max_seconds:
            say(f"load average still {load[0]} after {max_seconds:.0f} s; measuring anyway")
            return {"waited_s": round(time.monotonic() - started), "load": load, "quiet": False}
        say(f"waiting for the machine to quieten: load average {load} (want < {threshold})")
        time.sleep(20)


def fetch(url: str, token: str | None = None, timeout: float = 10) -> tuple[int, bytes]:
    context = ssl.create_default_context(cafile=str(stack_env.STACK_DIR / "certs" / "ca.crt"))
    request = urllib.request.Request(url)  # noqa: S310 - loopback only
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Servers:
    """The benchmark's own nginx and Gunicorn, pinned, on ports 18xxx."""

    def __init__(self, workdir: Path, cpus: str) -> None:
        self.workdir = workdir
        self.cpus = cpus
        self.nginx: ServerProcess | None = None
        self.gunicorn: ServerProcess | None = None

    def pin(self) -> list[str]:
        return ["taskset", "-c", self.cpus] if self.cpus else []

    def start_nginx(self) -> None:
        certs = self.workdir / "certs"
        certs.mkdir(parents=True, exist_ok=True)
        for name in ("ca.crt", "tls.crt", "tls.key"):
            shutil.copy2(stack_env.STACK_DIR / "certs" / name, certs / name)
        env = dict(os.environ, STACK_DIR=str(self.workdir))
        subprocess.run(
            [
                str(ROOT / "scripts" / "stack" / "stack.sh"),
                "render-nginx",
                str(self.workdir / "nginx"),
            ],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        conf = self.workdir / "nginx" / "conf" / "conf.d" / "taskboard.conf"
        text = conf.read_text()
        for old, new in PORTS.items():
            text = text.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}").replace(
                f":{old}$", f":{new}$"
            )
        text = text.replace("https://$host:8443", "https://$host:18443")
        conf.write_text(text)
        self.nginx = ServerProcess(
            "nginx",
            [
                *self.pin(),
                "nginx",
                "-p",
                f"{self.workdir}/nginx/",
                "-c",
                f"{self.workdir}/nginx/conf/nginx.conf",
                "-e",
                "stderr",
                "-g",
                f"daemon off; pid {self.workdir}/nginx.pid;",
            ],
            log=self.workdir / "nginx.log",
        ).start()
        self._wait(self.nginx, f"{BASE}/healthz", accept=(200, 502))

    def start_gunicorn(self, app: str = "config.wsgi:application", **env_overrides: str) -> None:
        self.stop_gunicorn()
        metrics = self.workdir / "metrics"
        metrics.mkdir(exist_ok=True)
        env = stack_env.app_env(
            SERVICE_NAME="api",
            GUNICORN_BIND="127.0.0.1:18010",
            PROMETHEUS_MULTIPROC_DIR=str(metrics),
            LOG_LEVEL="INFO",
            **stack_env.LOADTEST_THROTTLE_RATES,
        )
        env["PYTHONPATH"] = f"{stack_env.API_DIR}:{ROOT / 'services' / 'realtime'}:{HERE}"
        env.update(env_overrides)
        self.gunicorn = ServerProcess(
            "gunicorn",
            [
                *self.pin(),
                str(stack_env.VENV_BIN / "gunicorn"),
                "--config",
                str(stack_env.API_DIR / "gunicorn.conf.py"),
                app,
            ],
            cwd=stack_env.API_DIR,
            env=env,
            log=self.workdir / "gunicorn.log",
            append_log=True,
        ).start()
        self._wait(self.gunicorn, "http://127.0.0.1:18010/readyz", accept=(200,))

    def _wait(self, server: ServerProcess, url: str, accept: tuple[int, ...]) -> None:
        tls = ssl.create_default_context(cafile=str(stack_env.STACK_DIR / "certs" / "ca.crt"))
        try:
            server.wait_http(url, timeout=60, accept=accept, context=tls)
        except ProcessStartError as error:
            raise SystemExit(
                f"bench: {server.name} did not come up; see {self.workdir}\n{error}"
            ) from error

    def gunicorn_workers(self) -> int:
        return len(stack_env.children(self.gunicorn.pid)) if self.gunicorn else 0

    def stop_gunicorn(self) -> None:
        if self.gunicorn:
            self.gunicorn.stop(timeout=40)
        self.gunicorn = None

    def stop(self) -> None:
        self.stop_gunicorn()
        if self.nginx:
            # SIGQUIT: nginx's graceful shutdown.
            self.nginx.stop(timeout=20, signum=signal.SIGQUIT)


def wrk(
    url: str,
    token: str | None,
    args: argparse.Namespace,
    seconds: float,
    command: tuple[str, str] | None = None,
) -> dict[str, Any]:
    pin = ["taskset", "-c", args.client_cpus] if args.client_cpus else []
    env = dict(os.environ, BENCH_TOKEN=token or "")
    if command is not None:
        env.update(BENCH_METHOD=command[0], BENCH_BODY=command[1])
    cmd = [
        *pin,
        "wrk",
        "-t",
        str(args.threads),
        "-c",
        # Commands one at a time: concurrent writes to one task would conflict (409).
        "1" if command is not None else str(args.connections),
        "-d",
        f"{seconds:.0f}s",
        "--timeout",
        "10s",
        "-s",
        str(HERE / "report.lua"),
        url,
    ]
    result = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise SystemExit(f"bench: wrk failed: {result.stdout[-1000:]} {result.stderr[-1000:]}")


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process and its children (Gunicorn's or nginx's workers)."""
    if not pid:
        return 0.0
    total = 0
    for each in [pid, *stack_env.children(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def measure(
    label: str,
    url: str,
    token: str | None,
    args: argparse.Namespace,
    servers: Servers,
    command: tuple[str, str] | None = None,
) -> dict[str, Any]:
    if command is None:
        status, body = fetch(url, token)
        if status != 200:
            raise SystemExit(f"bench: {label}: {url} answered {status}: {body[:300]!r}")
    else:
        body = b""
    wrk(url, token, args, args.warmup, command)
    load_before = loadavg()
    gunicorn_pid = servers.gunicorn.pid if servers.gunicorn else None
    nginx_pid = servers.nginx.pid if servers.nginx else None
    cpu_before = (cpu_seconds(gunicorn_pid), cpu_seconds(nginx_pid))
    figures = wrk(url, token, args, args.command_duration if command else args.duration, command)
    cpu_after = (cpu_seconds(gunicorn_pid), cpu_seconds(nginx_pid))
    requests = max(figures["requests"], 1)
    figures.update(
        {
            "label": label,
            "url": url,
            "body_bytes": len(body),
            "load_before": load_before,
            "load_after": loadavg(),
            # CPU time per request of the processes measured: unlike requests/s, it hardly
            # moves when other programs compete for the CPUs.
            "gunicorn_cpu_ms": (cpu_after[0] - cpu_before[0]) * 1000 / requests
            if not label.startswith("ceiling")
            else 0.0,
            "nginx_cpu_ms": (cpu_after[1] - cpu_before[1]) * 1000 / requests,
        }
    )
    bad = sum(figures["errors"].values()) + sum(
        n for code, n in figures["statuses"].items() if not code.startswith("2")
    )
    figures["errors"]["status"] = bad - sum(
        v for k, v in figures["errors"].items() if k != "status"
    )
    say(
        f"{label:<10} {figures['rps']:9.1f} req/s  p50 {figures['p50_ms']:7.2f} ms  "
        f"p95 {figures['p95_ms']:7.2f} ms  p99 {figures['p99_ms']:7.2f} ms  errors {bad}  "
        f"CPU/req gunicorn {figures['gunicorn_cpu_ms']:.2f} ms nginx "
        f"{figures['nginx_cpu_ms']:.3f} ms (load {load_before[0]})"
    )
    return figures


COMMANDS = (
    ("task PATCH (a new title)", "PATCH", "", '{"title": "Bench title %s"}'),
    ("comment POST", "POST", "comments/", '{"body": "Bench comment %s"}'),
)


def command_runs(
    servers: Servers, args: argparse.Namespace, token: str, task_path: str
) -> list[dict[str, Any]]:
    """Gunicorn CPU per command (wrk, one connection) and the SQL statements of one command."""
    queries = json.loads(
        subprocess.run(
            [str(stack_env.VENV_BIN / "python"), str(HERE / "command_queries.py"), task_path],
            env=stack_env.app_env(SECURE_SSL_REDIRECT="false", **stack_env.LOADTEST_THROTTLE_RATES),
            cwd=stack_env.API_DIR,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout.splitlines()[-1]
    )
    out = []
    for title, method, suffix, body in COMMANDS:
        figures = measure(
            "command", f"{BASE}{task_path}{suffix}", token, args, servers, (method, body)
        )
        figures.update({"title": title, "sql": queries[method]})
        out.append(figures)
    return out


# The other reads made in the one round trip (tasks/, projects/ and workspaces/ views), each
# against the static ceiling nearest its size: the lists against the task list's file, the
# details against the task detail's.
OTHER_READS = (
    ("cached-projects", "/api/v1/projects/", "platform, cached project list", "ceiling"),
    ("cached-project", "/api/v1/projects/{project}/", "platform, cached project detail",
     "ceiling-detail"),
    ("cached-workspaces", "/api/v1/workspaces/", "platform, cached workspace list", "ceiling"),
    ("cached-workspace", "/api/v1/workspaces/{workspace}/", "platform, cached workspace detail",
     "ceiling-detail"),
)  # fmt: skip


def other_reads(
    servers: Servers, args: argparse.Namespace, token: str, project: int
) -> list[dict[str, Any]]:
    _, body = fetch(f"{BASE}/api/v1/projects/{project}/", token)
    workspace = json.loads(body)["workspace"]
    return [
        measure(label, BASE + path.format(project=project, workspace=workspace), token, args,
                servers) | {"title": title, "ceiling": ceiling}
        for label, path, title, ceiling in OTHER_READS
    ]  # fmt: skip


def fresh_token_and_project(args: argparse.Namespace) -> tuple[str, int]:
    subprocess.run(
        [
            str(stack_env.VENV_BIN / "python"),
            str(HERE.parent / "seed.py"),
            "--mode",
            "orm",
            "--out",
            str(args.dataset),
        ],
        check=True,
        timeout=1800,
    )
    data = json.loads(args.dataset.read_text())
    user = data["users"][0]
    project = next(p for p in data["projects"] if p["workspace"] in user["workspaces"])
    return user["access"], project["id"]


def tuning_runs(servers: Servers, args: argparse.Namespace, list_path: str) -> list[dict[str, Any]]:
    settings = [
        ("gthread, 3 workers x 4 threads (default on one core)", {}),
        ("sync, 3 workers", {"GUNICORN_WORKER_CLASS": "sync", "GUNICORN_WORKERS": "3"}),
        ("sync, 2 workers", {"GUNICORN_WORKER_CLASS": "sync", "GUNICORN_WORKERS": "2"}),
        ("sync, 5 workers", {"GUNICORN_WORKER_CLASS": "sync", "GUNICORN_WORKERS": "5"}),
        (
            "gthread, 2 workers x 8 threads",
            {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "8"},
        ),
        (
            "gthread, 3 workers x 4 threads, LOG_LEVEL=WARNING (no request log line)",
            {"LOG_LEVEL": "WARNING"},
        ),
        (
            "gthread, 3 workers x 4 threads, DB pool 1-4",
            {"DB_POOL_MIN_SIZE": "1", "DB_POOL_MAX_SIZE": "4"},
        ),
    ]
    out = []
    for label, env in settings:
        token, _ = fresh_token_and_project(args)
        servers.start_gunicorn(**env)
        figures = measure("tuning", f"{BASE}{list_path}", token, args, servers)
        figures.update({"setting": label, "env": env, "workers": servers.gunicorn_workers()})
        out.append(figures)
    return out


def ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


SCENARIO_PROFILES = {
    "full": "`make loadtest`: the stated targets, the read mix offered at 2,000 requests/s",
    "sustained": "`make loadtest-sustained`: the same targets at 100 requests/s of reads, a rate "
    "this machine can serve",
}


def latest_run(profile: str) -> dict[str, Any] | None:
    """The newest summary of a profile's runs in loadtests/reports/<date>-<profile>/."""
    runs = sorted((ROOT / "loadtests" / "reports").glob(f"*-{profile}/summary.json"))
    return json.loads(runs[-1].read_text()) if runs else None


def scenario_section() -> list[str]:
    """The latest `make loadtest` and `make loadtest-sustained` runs (Locust), when there are."""
    lines: list[str] = []
    for profile, title in SCENARIO_PROFILES.items():
        run = latest_run(profile)
        if run is not None:
            lines += scenario_table(run, title)
    return lines


def scenario_table(run: dict[str, Any], title: str) -> list[str]:
    m = run["machine"]
    lines = [
        f"## Scenario run: {title}",
        "",
        f"Run {run['run']} against {run['target']}: {m['cpus']} CPUs, {m['memory_gib']} GiB, "
        f"load average {m['load_average'][0]} before and {run['load_average_after'][0]} after; "
        f"Locust pinned to CPU {run.get('loadgen_cpus') or '(none)'} and sharing the machine "
        "with the servers; throttle rates raised through the environment.",
        "",
        "| target | wanted | measured | result |",
        "|---|---:|---:|---|",
    ]
    for row in run["targets"]:
        sign = ">=" if row["kind"] == "min" else "<"
        value, unit = row["measured"], row["unit"]
        if value is None:
            shown = "-"
        elif unit == "%":
            shown = f"{value * 100:.2f} %"
        else:
            shown = f"{value:,.0f} {unit}".strip()
        wanted = f"{row['target'] * 100:.0f} %" if unit == "%" else f"{row['target']:,} {unit}"
        lines.append(f"| {row['what']} | {sign} {wanted.strip()} | {shown} | {row['result']} |")
    lines.append("")
    return lines


def cpu(value: float | None) -> str:
    return "-" if not value else f"{value:.2f}"


def write_report(result: dict[str, Any], path: Path) -> None:
    m = result["machine"]
    rows = result["variants"]
    ceiling = rows[0]["rps"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (loadtests/bench/bench.py); do not edit by hand: run it again.",
        "",
        f"Measured {result['date']} on {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
        f"Linux {m['kernel']}, Python {m['python']}. 1-minute load average before the run "
        f"{result['quiet']['load'][0]} (waited {result['quiet']['waited_s']} s for it to fall "
        f"under {result['wait_load']}); each row gives its own.",
        "",
        "## The task list four ways (wrk)",
        "",
        f"One page: a project's first 20 tasks, `GET {result['list_path']}`, "
        f"{rows[1]['body_bytes']:,} bytes of JSON, over HTTPS (TLS 1.3, keep-alive) through nginx, "
        f"with a JWT. wrk {result['wrk_version']}: {result['threads']} thread, "
        f"{result['connections']} connections, {result['duration']:.0f} s after a "
        f"{result['warmup']:.0f} s warm-up.",
        "",
        f"Pinning: nginx and Gunicorn under `taskset -c {result['server_cpus']}`, wrk under "
        f"`taskset -c {result['client_cpus']}`; PostgreSQL and Redis (the machine's services) "
        "not pinned. Gunicorn: services/api/gunicorn.conf.py with the stack's environment "
        f"(production settings, {result['workers']} workers, its default for one CPU: "
        "gthread, 4 threads each).",
        "",
        "| variant | requests/s | p50 ms | p95 ms | p99 ms | vs ceiling | Gunicorn CPU ms/req "
        "| nginx CPU ms/req | errors | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ceilings = {row["label"]: row["rps"] for row in rows if row["label"].startswith("ceiling")}
    for row in rows:
        errors = sum(row["errors"].values())
        versus = (
            row["rps"]
            if row["label"] in ceilings
            else ceilings.get(row.get("ceiling", "ceiling"), ceiling)
        )
        lines.append(
            f"| {row['title']} | {row['rps']:,.0f} | {ms(row['p50_ms'])} | {ms(row['p95_ms'])} | "
            f"{ms(row['p99_ms'])} | {row['rps'] / versus:.1%} | "
            f"{cpu(row.get('gunicorn_cpu_ms'))} | {cpu(row.get('nginx_cpu_ms'))} | {errors} | "
            f"{row['load_before'][0]} |"
        )
    lines += [
        "",
        "- **ceiling**: nginx serving a static file of the cached answer's size from "
        "its static location (sendfile, no upstream).",
        "- **cached**: the platform's `GET /api/v1/tasks/?project=` (per request: the JWT check; "
        "the user and their memberships (the cached principal), the throttles and the page's "
        "stored bytes in one Redis round trip, one Lua script, answered before DRF's dispatch "
        "(no DRF request, authentication, permission or throttle objects, negotiation or "
        "renderer; the user built only if asked for); no PostgreSQL query, no serializer). What "
        "changed it since the 2026-11-26 run (4.95 ms): hiredis, the one round trip, stored "
        "bytes, verified tokens remembered per process, orjson's log formatter, the answer "
        "before DRF's dispatch; each measured in [What moved the numbers]"
        "(#what-moved-the-numbers), profiles in [profiles/](profiles/).",
        "- **cache off**: the same with `CACHE_ENABLED=false`: every request renders from "
        "PostgreSQL.",
        "- **plain DRF**: a `ListAPIView` with a `ModelSerializer` and DRF's defaults (no "
        "prefetching, DRF's JSON renderer, no cache), the same rows and page size: "
        "loadtests/bench/baseline_urls.py.",
        "- **cached task detail**: `GET /api/v1/tasks/{id}/`, compared with nginx serving a "
        "static file of its size (the row above it): the same round trip and answer before DRF's "
        "dispatch, the write-behind view counted inside the round trip, and no PostgreSQL query "
        "(the principal's workspaces say who may see the task, its generation that the entry is "
        "current; until 2026-12-05 a hit asked PostgreSQL for the task's visibility and version).",
        "- **framework floor**: `/api/v1/bench-floor/` (loadtests/bench/baseline_urls.py), a "
        "plain Django function view returning the cached list's bytes behind the platform's "
        "middleware (request id, the request log line and metrics, the error envelope, security "
        "headers), no authentication, throttle or Redis, on the same Gunicorn: what any request "
        "costs before the platform does anything of its own. The cached rows' CPU over this row's "
        "is what the platform adds.",
        "- **server floor**: a bare WSGI callable (loadtests/bench/bare_wsgi.py) answering the "
        "same bytes under the same Gunicorn and nginx: no Django, no middleware, log line or "
        "metrics. What Gunicorn and nginx alone cost per request on the server core, so the most "
        "any application behind them can answer there; the framework floor's distance from it "
        "is what Django and the platform's middleware cost before any view of the platform runs.",
    ]
    if any(row["label"] == label for row in rows for label, *_ in OTHER_READS):
        lines.append(
            "- **cached project list, project detail, workspace list, workspace detail**: the "
            "other reads made in the same one round trip and answered before DRF's dispatch, on "
            "a fresh token of the same user (a workspace's answer is its stored bytes with the "
            "reader's role put in). Each is compared with the static file nearest its size (the "
            "lists with the task list's, the details with the task detail's)."
        )
    lines.append("")
    if result.get("commands"):
        lines += [
            "## Commands (wrk, one connection, through nginx)",
            "",
            "Event-sourced commands on one task of the same project: events, read models and "
            "outbox in one transaction, then the write-through of the task's cache entry. SQL "
            "statements of one command counted in-process (Django's CaptureQueriesContext, "
            "loadtests/bench/command_queries.py), with and without BEGIN/COMMIT/SAVEPOINT/"
            "RELEASE. What changed them since the 2026-11-26 figure (about 35 ms and 18 "
            "statements): no labels prefetched for a write's visibility check, the projected row "
            "returned instead of read back, a comment projected with one upsert (2026-12-04: 14 "
            "and 16 statements); then the aggregate's snapshot, later events, the actor's role and "
            "a comment's id read in one statement, the events and their outbox rows written by "
            "one INSERT without a savepoint, the task row projected by one UPDATE ... RETURNING "
            "and write-through's read of the task with its label ids in one statement (7 and 8, "
            "services/api/tests/commands/test_task_command_statements.py pins them).",
            "",
            "| command | commands/s | p50 ms | p95 ms | Gunicorn CPU ms/command | SQL statements "
            "| without transaction control | errors | load avg |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in result["commands"]:
            lines.append(
                f"| {row['title']} | {row['rps']:,.0f} | {ms(row['p50_ms'])} | "
                f"{ms(row['p95_ms'])} | {cpu(row.get('gunicorn_cpu_ms'))} | "
                f"{row['sql']['statements']} | {row['sql']['queries']} | "
                f"{sum(row['errors'].values())} | {row['load_before'][0]} |"
            )
        lines.append("")
    if result.get("tuning"):
        lines += [
            "## Gunicorn settings (the cached list, same pinning)",
            "",
            "| setting | workers | requests/s | p50 ms | p95 ms | p99 ms | Gunicorn CPU ms/req "
            "| load avg |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in result["tuning"]:
            lines.append(
                f"| {row['setting']} | {row['workers']} | {row['rps']:,.0f} | "
                f"{ms(row['p50_ms'])} | "
                f"{ms(row['p95_ms'])} | {ms(row['p99_ms'])} | {cpu(row.get('gunicorn_cpu_ms'))} | "
                f"{row['load_before'][0]} |"
            )
        lines.append("")
    lines += scenario_section()
    notes = HERE / "notes.md"
    if notes.is_file():
        lines += [notes.read_text().rstrip(), ""]
    path.write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description="Regenerate docs/benchmarks.md")
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--command-duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    cpus = os.cpu_count() or 1
    parser.add_argument("--server-cpus", default="0" if cpus > 1 else "")
    parser.add_argument("--client-cpus", default=str(cpus - 1) if cpus > 1 else "")
    parser.add_argument("--wait-load", type=float, default=1.0)
    parser.add_argument("--wait-max", type=float, default=900)
    parser.add_argument("--tuning", action="store_true", help="also compare Gunicorn settings")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--json", default=str(ROOT / "loadtests" / "reports" / "bench.json"))
    parser.add_argument(
        "--from-json", action="store_true", help="rewrite the report from --json, measure nothing"
    )
    args = parser.parse_args()
    if args.from_json:
        write_report(json.loads(Path(args.json).read_text()), Path(args.output))
        say(f"wrote {args.output} from {args.json}")
        return 0
    args.dataset = ROOT / "loadtests" / "reports" / "dataset.json"
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is missing: `make loadtest-install` installs it")
    if not shutil.which("taskset"):
        args.server_cpus = args.client_cpus = ""

    workdir = ROOT / "loadtests" / "reports" / "bench-servers"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    servers = Servers(workdir, args.server_cpus)
    try:
        token, project = fresh_token_and_project(args)
        list_path = f"/api/v1/tasks/?project={project}"
        servers.start_nginx()
        servers.start_gunicorn()
        status, body = fetch(f"{BASE}{list_path}", token)
        if status != 200:
            raise SystemExit(f"bench: the task list answered {status}: {body[:300]!r}")
        static = workdir / "static" / "bench"
        static.mkdir(parents=True, exist_ok=True)
        # The ceiling's file: JSON of exactly the cached answer's size.
        (static / "tasks.json").write_bytes(body)

        quiet = wait_for_quiet(args.wait_load, args.wait_max)
        variants = []
        token, _ = fresh_token_and_project(args)
        variants.append(
            measure("ceiling", f"{BASE}/static/bench/tasks.json", None, args, servers)
            | {"title": "ceiling: nginx, static JSON file"}
        )
        variants.append(
            measure("cached", f"{BASE}{list_path}", token, args, servers)
            | {"title": "platform, cached task list"}
        )
        detail_path = f"/api/v1/tasks/{json.loads(body)['results'][0]['id']}/"
        status, detail = fetch(f"{BASE}{detail_path}", token)
        (static / "task.json").write_bytes(detail)
        variants.append(
            measure("ceiling-detail", f"{BASE}/static/bench/task.json", None, args, servers)
            | {"title": "ceiling: nginx, static JSON file of the detail's size"}
        )
        variants.append(
            measure("cached-detail", f"{BASE}{detail_path}", token, args, servers)
            | {"title": "platform, cached task detail", "ceiling": "ceiling-detail"}
        )
        commands = command_runs(servers, args, token, detail_path)
        token, project = fresh_token_and_project(args)
        variants += other_reads(servers, args, token, project)
        workers = servers.gunicorn_workers()
        token, _ = fresh_token_and_project(args)
        servers.start_gunicorn(CACHE_ENABLED="false")
        variants.append(
            measure("uncached", f"{BASE}{list_path}", token, args, servers)
            | {"title": "platform, cache off"}
        )
        token, _ = fresh_token_and_project(args)
        servers.start_gunicorn(
            DJANGO_SETTINGS_MODULE="baseline_settings",
            BENCH_FLOOR_FILE=str(static / "tasks.json"),
        )
        variants.append(
            measure("baseline", f"{BASE}{list_path}", token, args, servers)
            | {"title": "plain DRF ListAPIView"}
        )
        variants.append(
            measure("floor", f"{BASE}/api/v1/bench-floor/", None, args, servers)
            | {"title": "framework floor: a plain Django view, the same bytes"}
        )
        servers.start_gunicorn(
            app="bare_wsgi:application", BENCH_FLOOR_FILE=str(static / "tasks.json")
        )
        variants.append(
            measure("server-floor", f"{BASE}/api/v1/bench-floor/", None, args, servers)
            | {"title": "server floor: a bare WSGI callable, the same bytes"}
        )
        tuning = tuning_runs(servers, args, list_path) if args.tuning else []
    finally:
        servers.stop()

    wrk_version = subprocess.run(
        ["wrk", "--version"], capture_output=True, text=True, check=False
    ).stdout.split()[1:2]
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model,
            "memory_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
            "kernel": platform.release(),
            "python": platform.python_version(),
        },
        "quiet": quiet,
        "wait_load": args.wait_load,
        "list_path": list_path,
        "wrk_version": (wrk_version or ["?"])[0],
        "threads": args.threads,
        "connections": args.connections,
        "duration": args.duration,
        "warmup": args.warmup,
        "server_cpus": args.server_cpus or "(not pinned)",
        "client_cpus": args.client_cpus or "(not pinned)",
        "workers": workers,
        "variants": variants,
        "commands": commands,
        "tuning": tuning,
    }
    Path(args.json).write_text(json.dumps(result, indent=2))
    write_report(result, Path(args.output))
    say(f"wrote {args.output} (figures also in {args.json})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
