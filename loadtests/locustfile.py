"""Every Locust user class of the load test, and the summary it writes at the end.

    locust -f loadtests/locustfile.py --host https://127.0.0.1:8443 ReadUser WriteUser ...

loadtests/run.py (`make loadtest`) picks the classes and rates per phase; the Compose `loadtest`
profile and k8s/loadtest/ run this same file on a master and its workers. With
LOADTEST_SUMMARY set, the master (or the single local process) writes there, on exit, the
figures the runner checks the targets against: per group of requests (read, write, auth, all
HTTP, WebSocket delivery and connect) the count, failures, throughput over the steady window,
and p50/p95/p99.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from locust import events
from locust.runners import WorkerRunner
from locust.stats import StatsEntry

sys.path.insert(0, str(Path(__file__).resolve().parent))

from suites.auth_flow import AuthFlowUser
from suites.read_mix import ReadUser
from suites.websocket_users import STATS as WS_STATS
from suites.websocket_users import LiveWriter, SocketUser
from suites.write_mix import WriteUser

__all__ = ["AuthFlowUser", "LiveWriter", "ReadUser", "SocketUser", "WriteUser"]

GROUPS = {
    "read": lambda name, kind: name.startswith("read:"),
    "write": lambda name, kind: name.startswith("write:"),
    "auth": lambda name, kind: name.startswith("auth:"),
    "http": lambda name, kind: kind != "WS",
    "http_without_login": lambda name, kind: kind != "WS" and name != "auth: login",
    "ws_delivery": lambda name, kind: name == "ws: delivery",
    "ws_connect": lambda name, kind: name == "ws: connect",
    "ws_ping": lambda name, kind: name == "ws: ping",
    "ws_dropped": lambda name, kind: name == "ws: dropped",
}
_started: dict[str, float] = {}


@events.test_start.add_listener
def _on_start(environment: Any, **_: Any) -> None:
    _started["at"] = time.time()


def _summarise(entry: StatsEntry, ramp: float) -> dict[str, Any]:
    count = entry.num_requests
    if not count and not entry.num_failures:
        return {"requests": 0, "failures": 0}
    # Throughput over the steady window: after the ramp-up, without the last partial second.
    seconds = sorted(entry.num_reqs_per_sec)
    steady_from = _started.get("at", seconds[0] if seconds else 0) + ramp
    steady = [s for s in seconds if steady_from <= s < seconds[-1]] if seconds else []
    steady_rps = (
        sum(entry.num_reqs_per_sec[s] for s in steady) / (steady[-1] - steady[0] + 1)
        if len(steady) >= 3
        else entry.total_rps
    )
    return {
        "requests": count,
        "failures": entry.num_failures,
        "error_rate": entry.num_failures / max(count, 1),
        "rps": round(steady_rps, 1),
        "rps_overall": round(entry.total_rps, 1),
        "p50_ms": entry.get_response_time_percentile(0.50) if count else None,
        "p95_ms": entry.get_response_time_percentile(0.95) if count else None,
        "p99_ms": entry.get_response_time_percentile(0.99) if count else None,
        "max_ms": round(entry.max_response_time or 0, 1) if count else None,
        "avg_ms": round(entry.avg_response_time, 1) if count else None,
    }


@events.quitting.add_listener
def _write_summary(environment: Any, **_: Any) -> None:
    path = os.environ.get("LOADTEST_SUMMARY")
    if not path or isinstance(environment.runner, WorkerRunner):
        return
    stats = environment.runner.stats
    ramp = float(os.environ.get("LOADTEST_RAMP_SECONDS", "0") or 0)
    groups: dict[str, Any] = {}
    for group, member in GROUPS.items():
        merged = StatsEntry(stats, group, "", use_response_times_cache=False)
        for (name, kind), entry in stats.entries.items():
            if member(name, kind):
                merged.extend(entry)
        groups[group] = _summarise(merged, ramp)
    by_name = {
        f"{kind} {name}": _summarise(entry, ramp) for (name, kind), entry in stats.entries.items()
    }
    errors = [
        {
            "name": e.name,
            "method": e.method,
            "error": str(e.error)[:300],
            "occurrences": e.occurrences,
        }
        for e in stats.errors.values()
    ]
    summary = {
        "started_at": _started.get("at"),
        "ended_at": time.time(),
        "groups": groups,
        "requests": by_name,
        "errors": errors,
        "ws_local": dict(WS_STATS),
    }
    Path(path).write_text(json.dumps(summary, indent=2))
