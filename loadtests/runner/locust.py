"""Running Locust for one phase: master and workers, progress, its summary."""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import stack_env

from harness import ServerProcess
from runner.common import HERE, LOCUST, say
from runner.metrics import scrape


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
    workers: list[ServerProcess] = []
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
    master = ServerProcess("locust", master_cmd, env=env, log=out / f"{phase}-locust.log").start()
    for n in range(args.workers):
        workers.append(
            ServerProcess(
                f"locust worker {n}",
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
                log=out / f"{phase}-worker-{n}.log",
            ).start()
        )
    say(
        f"phase {phase}: {users} users ({', '.join(classes)}) for {seconds} s after a "
        f"{ramp:.0f} s ramp-up" + (f", {args.workers} workers" if args.workers else "")
    )
    started = time.monotonic()
    deadline = started + total + 120  # Locust stops itself; this only bounds a hang
    last_print = 0.0
    try:
        while master.running:
            if time.monotonic() > deadline:
                say(f"phase {phase}: Locust did not stop in time; stopping it")
                master.stop(timeout=60)
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
                worker.stop(timeout=30)
            worker.stop()
        master.stop()
    if master.popen is None or master.popen.returncode not in (0, 1) or not summary_path.is_file():
        code = master.popen.returncode if master.popen is not None else None
        tail = master.output()[-3000:]
        raise SystemExit(f"loadtest: Locust failed in phase {phase} (exit {code}):\n{tail}")
    return json.loads(summary_path.read_text())
