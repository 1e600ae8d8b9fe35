#!/usr/bin/env python
"""Gunicorn CPU per request of one URL, from /proc: utime+stime of the master and its workers
before and after a wrk run, divided by the requests answered. Prints one line per run with the
load average before it (other processes on the machine skew req/s far more than CPU/request).

    python loadtests/bench/cpu_per_request.py --pid GUNICORN_MASTER_PID --token JWT URL

Gunicorn is whichever the caller started (any settings); wrk sends the token as a bearer header
(report.lua), with X-Forwarded-Proto: https as nginx would. --profile FILE also records every
worker with py-spy during the last run (`--gil`: only threads holding the GIL, which is CPU
work; waiting for Redis or the GIL is not), as a flame graph (.svg) or collapsed stacks (.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import cpu_seconds  # noqa: E402


def run_wrk(url: str, token: str, seconds: int, connections: int) -> dict[str, object]:
    result = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "-s",
         str(HERE / "report.lua"), url],
        env=dict(os.environ, BENCH_TOKEN=token, BENCH_FORWARDED_PROTO="https"),
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )  # fmt: skip
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return dict(json.loads(line.removeprefix("BENCH_JSON ")))
    raise SystemExit(f"wrk failed: {result.stdout[-500:]} {result.stderr[-500:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--pid", type=int, required=True, help="the Gunicorn master")
    parser.add_argument("--token", required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", help="py-spy output (.svg flame graph) of the last run")
    args = parser.parse_args()
    # Warm-up: fills the entries, and reaches every worker (each imports the URLconf and more on
    # its first request, hundreds of ms of CPU that are no request's cost).
    run_wrk(args.url, args.token, 5, max(32, args.connections))
    for n in range(args.repeat):
        load = os.getloadavg()
        spy = None
        if args.profile and n == args.repeat - 1:
            spy = subprocess.Popen(
                ["py-spy", "record", "--pid", str(args.pid), "--subprocesses", "--duration",
                 str(args.seconds - 1), "--rate", "250", "--gil", "--nonblocking", "--format",
                 "raw" if args.profile.endswith(".txt") else "flamegraph", "--output",
                 args.profile],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        before = cpu_seconds(args.pid)
        figures = run_wrk(args.url, args.token, args.seconds, args.connections)
        used = cpu_seconds(args.pid) - before
        if spy is not None:
            spy.wait(timeout=60)
        requests = int(str(figures.get("requests", 0)))
        per_request = used * 1000 / requests if requests else float("nan")
        print(
            f"{per_request:.3f} ms CPU/request  {requests} requests  "
            f"errors {figures.get('errors')}  load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
