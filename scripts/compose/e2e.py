#!/usr/bin/env python3
"""`make test-compose`: the Compose stack end to end, on whichever engine `make up` picks.

From nothing (the project's containers and volumes removed first) to nothing again:

1. `make up` with the monitoring profile (all but Grafana); every service healthy
   (or, for the one-shot jobs, completed), checked again here container by container;
2. the demo data loaded; the API answers through nginx with it and echoes the request id;
3. a WebSocket through nginx receives the event of a change made through the API;
4. Prometheus scrapes every target: api, realtime, relay, flusher, the exporters (up == 1);
5. the loadtest profile: a small dataset seeded through the API, then the Locust master and a
   worker run the suites at the smoke profile's size through nginx; the master exits 0 (no
   request failed: the Host check let every request through);
6. `make logs` prints the services' logs; `make down` leaves no container and no network.

It runs under its own project name (taskboard-e2e), env file (var/e2e/env, raised throttles) and
ports (18443, 19090, ...), so it never meets a native stack or another Compose project. It
prints each check and the time each step took, and ends with "N passed, N failed".
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
import traceback
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import urllib3
from websockets.sync.client import connect

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compose  # noqa: E402 - the sibling module, found through the path set just above

ROOT = compose.ROOT
PROJECT = os.environ.get("E2E_PROJECT", "taskboard-e2e")
ENV_FILE = ROOT / "var" / "e2e" / "env"
PORTS = {
    "NGINX_HTTPS_PORT": os.environ.get("E2E_HTTPS_PORT", "18443"),
    "NGINX_HTTP_PORT": os.environ.get("E2E_HTTP_PORT", "18080"),
    "PROMETHEUS_PORT": os.environ.get("E2E_PROMETHEUS_PORT", "19090"),
    "ALERTMANAGER_PORT": os.environ.get("E2E_ALERTMANAGER_PORT", "19093"),
    "GRAFANA_PORT": os.environ.get("E2E_GRAFANA_PORT", "13000"),
    "LOCUST_WEB_PORT": os.environ.get("E2E_LOCUST_WEB_PORT", "18089"),
}
HTTPS = f"https://127.0.0.1:{PORTS['NGINX_HTTPS_PORT']}"
WSS = HTTPS.replace("https://", "wss://") + "/ws/v1/"
PROMETHEUS = f"http://127.0.0.1:{PORTS['PROMETHEUS_PORT']}"
# The monitoring profile's services this test starts: all but Grafana, which has no local base
# on podman (Debian does not package it).
MONITORING = [
    "prometheus",
    "alertmanager",
    "postgres-exporter",
    "redis-exporter",
    "nginx-exporter",
    "node-exporter",
]
# The smoke profile's size (loadtests/targets.toml [profiles.smoke]) for the Compose Locust run.
LOCUST = {"LOCUST_USERS": "10", "LOCUST_SPAWN_RATE": "10", "LOCUST_RUN_TIME": "25s"}
LOCUST_WORKERS = "1"
# The load test sends more than the documented per-client rates (as `make loadtest` does).
RAISED_THROTTLES = dict.fromkeys(
    (
        "THROTTLE_RATE_ANON",
        "THROTTLE_RATE_USER",
        "THROTTLE_RATE_STRICT",
        "THROTTLE_RATE_BURST",
        "THROTTLE_RATE_SUSTAINED",
    ),
    "10000000/hour",
)

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
results: list[tuple[str, bool, str]] = []


class CheckFailed(Exception):
    pass


def expect(condition: object, message: object) -> None:
    if not condition:
        raise CheckFailed(str(message))


def say(message: str) -> None:
    print(f"e2e: {message}", flush=True)


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(PORTS)
    env.update(COMPOSE_PROJECT_NAME=PROJECT, TASKBOARD_ENV_FILE=str(ENV_FILE))
    return env


def make(*args: str, timeout: float = 1500) -> subprocess.CompletedProcess[str]:
    """Runs a make target, printing its output as it comes (a first build takes minutes)."""
    started = time.monotonic()
    say(f"make {' '.join(args)}")
    command = ["timeout", str(int(timeout)), "make", "--no-print-directory", "-C", str(ROOT), *args]
    lines = []
    with subprocess.Popen(
        command,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        # For mypy: stdout=PIPE was given.
        assert process.stdout is not None  # noqa: S101  # nosec B101
        for line in process.stdout:
            lines.append(line)
            print(f"    {line.rstrip()}", flush=True)
    say(f"make {args[0]}: exit {process.returncode} in {time.monotonic() - started:.0f} s")
    return subprocess.CompletedProcess(command, process.returncode, "".join(lines), "")


def check(name: str, step: Callable[[], str]) -> bool:
    started = time.monotonic()
    try:
        detail = step()
        results.append((name, True, detail))
        say(f"PASS {name} ({time.monotonic() - started:.0f} s) {detail}")
        return True
    except Exception as error:  # every failure is reported, then the run goes on
        results.append((name, False, str(error)))
        say(f"FAIL {name} ({time.monotonic() - started:.0f} s): {error}")
        traceback.print_exc(limit=3)
        return False


def engine() -> compose.Engine:
    os.environ.update(COMPOSE_PROJECT_NAME=PROJECT, TASKBOARD_ENV_FILE=str(ENV_FILE))
    return compose.choose_engine(compose.Project.load(["monitoring"]))


def wait_for(what: str, probe: Callable[[], Any], timeout: float, every: float = 2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except (OSError, requests.RequestException, ValueError) as error:
            last = error
        time.sleep(every)
    raise CheckFailed(f"{what}: not within {timeout:.0f} s (last: {last!r})")


# --- the checks -----------------------------------------------------------------------------


def clean_start() -> str:
    result = make("down", "VOLUMES=1", timeout=300)
    expect(result.returncode == 0, "make down failed")
    ENV_FILE.unlink(missing_ok=True)
    settings = {**RAISED_THROTTLES, **LOCUST, "LOCUST_WORKERS": LOCUST_WORKERS, **PORTS}
    settings["DJANGO_CSRF_TRUSTED_ORIGINS"] = f"https://localhost:{PORTS['NGINX_HTTPS_PORT']}"
    compose.write_env(ENV_FILE, settings)
    return f"project {PROJECT} empty; fresh {ENV_FILE.relative_to(ROOT)}"


def make_up() -> str:
    services = [s.name for s in compose.Project.load([]).active()] + MONITORING
    started = time.monotonic()
    result = make("up", "PROFILES=monitoring", f"SERVICES={' '.join(services)}")
    expect(result.returncode == 0, "make up failed")
    return f"{len(services)} services up in {time.monotonic() - started:.0f} s"


def every_service_healthy() -> str:
    running = engine()
    project = compose.Project.load(["monitoring"])
    wanted = project.active([]) + [project.services[n] for n in MONITORING]
    states = []
    for service in wanted:
        ok = running.status(service)
        states.append(f"{service.name}={ok}")
        expect(ok in ("healthy", "completed"), f"{service.name}: {ok}")
    return ", ".join(states)


def session() -> requests.Session:
    client = requests.Session()
    client.verify = False
    client.trust_env = False
    return client


def token(client: requests.Session) -> str:
    response = client.post(
        f"{HTTPS}/api/v1/auth/token/",
        # The published demo login that seed_demo creates on this throwaway stack.
        json={"username": "demo", "password": "demo-password-123"},  # nosec B105
        timeout=15,
    )
    expect(response.status_code == 200, f"login: {response.status_code} {response.text[:200]}")
    return str(response.json()["access"])


def api_with_demo_data() -> str:
    code = engine().exec("api", ["python", "manage.py", "seed_demo", "--allow-production"])
    expect(code == 0, f"seed_demo exited {code}")
    client = session()
    client.headers["Authorization"] = f"Bearer {token(client)}"
    request_id = f"e2e-{secrets.token_hex(8)}"
    response = client.get(
        f"{HTTPS}/api/v1/tasks/", headers={"X-Request-ID": request_id}, timeout=15
    )
    expect(response.status_code == 200, f"{response.status_code} {response.text[:200]}")
    expect(response.headers.get("X-Request-ID") == request_id, response.headers)
    tasks = response.json()["results"]
    expect(tasks, "the demo data has no task")
    workspaces = client.get(f"{HTTPS}/api/v1/workspaces/", timeout=15).json()["results"]
    expect(workspaces, "the demo data has no workspace")
    return f"{len(tasks)} tasks, {len(workspaces)} workspaces; X-Request-ID {request_id} echoed"


def websocket_event() -> str:
    client = session()
    client.headers["Authorization"] = f"Bearer {token(client)}"
    task = client.get(f"{HTTPS}/api/v1/tasks/", timeout=15).json()["results"][0]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    origin = f"https://localhost:{PORTS['NGINX_HTTPS_PORT']}"
    with connect(WSS, ssl=context, origin=origin, proxy=None, open_timeout=15) as socket:
        socket.send(json.dumps({"type": "auth", "token": token(client)}))
        socket.send(json.dumps({"type": "subscribe", "project": task["project"]}))
        deadline = time.monotonic() + 15
        while json.loads(socket.recv(timeout=15)).get("type") != "subscribed":
            expect(time.monotonic() < deadline, "no subscribed message")
        title = f"renamed through nginx {secrets.token_hex(4)}"
        sent = time.monotonic()
        response = client.patch(
            f"{HTTPS}/api/v1/tasks/{task['id']}/", json={"title": title}, timeout=15
        )
        expect(response.status_code == 200, f"PATCH {response.status_code} {response.text[:200]}")
        deadline = sent + 30
        while True:
            remaining = deadline - time.monotonic()
            expect(remaining > 0, "no event within 30 s")
            message = json.loads(socket.recv(timeout=remaining))
            event = message.get("event") or {}
            if message.get("type") == "event" and event.get("data", {}).get("title") == title:
                break
    return f"{event['type']} for task {task['id']} after {time.monotonic() - sent:.2f} s"


# Every scrape job of monitoring/prometheus/prometheus.yml, each a service started above.
SCRAPED = {
    "api",
    "realtime",
    "relay",
    "flusher",
    "nginx",
    "postgres",
    "redis",
    "node",
    "prometheus",
    "alertmanager",
}


def prometheus_scrapes() -> str:
    def up() -> dict[str, float] | None:
        query = urllib.parse.urlencode({"query": "up"})
        body = session().get(f"{PROMETHEUS}/api/v1/query?{query}", timeout=10).json()
        values = {r["metric"]["job"]: float(r["value"][1]) for r in body["data"]["result"]}
        return values if set(values) >= SCRAPED and all(v == 1 for v in values.values()) else None

    # Prometheus scrapes every 15 s: the first scrape of each target lands within a minute.
    values = wait_for("up == 1 for every target", up, timeout=120, every=5)
    return ", ".join(f"up{{job={job!r}}} = {value:g}" for job, value in sorted(values.items()))


def locust_smoke() -> str:
    reports = ROOT / "loadtests" / "reports" / "compose"
    seeded = subprocess.run(
        [
            sys.executable,
            str(ROOT / "loadtests" / "seed.py"),
            "--mode",
            "api",
            "--target",
            HTTPS,
            "--insecure",
            "--users",
            "5",
            "--workspaces",
            "5",
            "--projects",
            "1",
            # More than one page (20) per project: the read mix asks for page 2.
            "--tasks",
            "25",
            "--out",
            str(ROOT / "loadtests" / "reports" / "compose" / "dataset.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=environment(),
    )
    expect(seeded.returncode == 0, f"seed: {(seeded.stdout + seeded.stderr)[-1500:]}")
    for stale in reports.glob("locust_*.csv"):
        stale.unlink()
    result = make(
        "up",
        "PROFILES=loadtest",
        "SERVICES=locust-master locust-worker",
        "COMPOSE_UP_ARGS=--no-wait",
    )
    expect(result.returncode == 0, "make up (loadtest profile) failed")
    running = engine()
    code = running.wait("locust-master", timeout=300)
    running.logs("locust-master", follow=False, tail=40)
    expect(code == 0, f"the Locust master exited {code}")
    with (reports / "locust_stats.csv").open(encoding="utf-8") as stats:
        total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    requests_made, failures = int(total["Request Count"]), int(total["Failure Count"])
    expect(requests_made > 0 and failures == 0, f"{requests_made} requests, {failures} failures")
    return f"{requests_made} requests through nginx:8443, {failures} failures"


def logs_print() -> str:
    result = make("logs", "FOLLOW=0", "SERVICE=api", timeout=120)
    expect(result.returncode == 0, "make logs failed")
    output = result.stdout + result.stderr
    expect("gunicorn" in output.lower(), "no Gunicorn line in the api's logs")
    return f"{len(output.splitlines())} lines"


def make_down() -> str:
    result = make("down", "VOLUMES=1", timeout=300)
    expect(result.returncode == 0, "make down failed")
    left = engine().leftovers()
    expect(not left, f"left behind: {left}")
    return "no container, network or volume of the project left"


def stop_on_sigterm(signum: int, frame: object) -> None:
    # `timeout` ends an overlong run with SIGTERM: unwind, so that `make down` still runs.
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    started = time.monotonic()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    say(f"project {PROJECT}, {HTTPS}, Prometheus {PROMETHEUS}")
    try:
        if check("clean start", clean_start) and check("make up", make_up):
            check("every service healthy", every_service_healthy)
            check("API through nginx with demo data and request id", api_with_demo_data)
            check("WebSocket event through nginx", websocket_event)
            check("Prometheus scrapes every target (api, realtime, relay...)", prometheus_scrapes)
            check("make logs", logs_print)
            check("loadtest profile: Locust smoke through nginx", locust_smoke)
    except KeyboardInterrupt as stop:
        results.append(("the run itself", False, f"interrupted ({stop})"))
        say(f"FAIL interrupted ({stop}); stopping the project")
    finally:
        check("make down leaves nothing", make_down)
    passed = sum(ok for _, ok, _ in results)
    say(f"wall time {time.monotonic() - started:.0f} s")
    print(f"{passed} passed, {len(results) - passed} failed", flush=True)
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
