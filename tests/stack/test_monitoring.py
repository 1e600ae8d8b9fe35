"""Prometheus and Alertmanager of the running stack, and every dashboard query against them."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from conftest import ALERTMANAGER, PROMETHEUS, ROOT, Client, register, wait_until
from grafana_queries import Query, all_queries
from realtime_client import Socket
from test_api_flow import create_project

SCRAPE_INTERVAL = 15
RULE_FILES = sorted((ROOT / "monitoring" / "prometheus" / "rules").glob("*.yml"))


def prometheus(path: str, **params: Any) -> Any:
    response = requests.get(f"{PROMETHEUS}{path}", params=params, timeout=30)
    body = response.json()
    assert body.get("status") == "success", (path, params, body)
    return body["data"]


def test_every_scrape_target_is_up() -> None:
    def down() -> list[str]:
        targets = prometheus("/api/v1/targets")["activeTargets"]
        return [
            f"{t['labels']['job']}: {t['lastError'] or t['health']}"
            for t in targets
            if t["health"] != "up"
        ]

    # A target added or restarted moments ago has not been scraped yet: give it a few intervals.
    try:
        wait_until(lambda: not down(), timeout=3 * SCRAPE_INTERVAL, interval=2)
    except AssertionError:
        pytest.fail(f"scrape targets down: {down()}")
    jobs = {t["labels"]["job"] for t in prometheus("/api/v1/targets")["activeTargets"]}
    assert jobs == {
        "prometheus",
        "alertmanager",
        "api",
        "realtime",
        "relay",
        "flusher",
        "nginx",
        "postgres",
        "redis",
        "node",
    }


def test_prometheus_sends_alerts_to_the_alertmanager() -> None:
    alertmanagers = prometheus("/api/v1/alertmanagers")["activeAlertmanagers"]

    assert [a["url"] for a in alertmanagers] == ["http://127.0.0.1:9093/api/v2/alerts"]
    assert requests.get(f"{ALERTMANAGER}/-/ready", timeout=10).status_code == 200


def test_every_rule_is_loaded_and_evaluates() -> None:
    expected = {
        rule.get("record") or rule.get("alert")
        for path in RULE_FILES
        for group in yaml.safe_load(Path(path).read_text())["groups"]
        for rule in group["rules"]
    }

    def evaluated() -> dict[str, str] | None:
        groups = prometheus("/api/v1/rules")["groups"]
        health = {rule["name"]: rule["health"] for group in groups for rule in group["rules"]}
        return health if health and "unknown" not in health.values() else None

    # Rules that have not been evaluated yet (just after a start) report "unknown".
    health = wait_until(evaluated, timeout=3 * SCRAPE_INTERVAL, interval=2)
    assert set(health) == expected
    assert {name: state for name, state in health.items() if state != "ok"} == {}


class Traffic(threading.Thread):
    """A little of everything the dashboards show: reads (cache hits and misses), writes
    (events, outbox, dispatch), client errors, and a subscribed socket (delivery latency)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        client = Client()
        try:
            register(client)
            project = create_project(client)
            with Socket() as socket:
                socket.authenticate(client.token or "")
                socket.subscribe(project["id"])
                number = 0
                while not self.stopping.is_set():
                    number += 1
                    task = client.post(
                        "/api/v1/tasks/", json={"project": project["id"], "title": f"load {number}"}
                    ).json()
                    socket.receive_until("event", timeout=15)
                    for _ in range(3):
                        client.get(f"/api/v1/tasks/{task['id']}/")
                        client.get(f"/api/v1/tasks/?project={project['id']}")
                    client.get("/api/v1/workspaces/")
                    client.get("/api/v1/tasks/999999999/")
                    socket.send(type="ping")
                    socket.receive_until("pong")
                    # Writes stay under the per-user burst throttle (20 a minute).
                    self.stopping.wait(3)
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error
        finally:
            client.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)


def returns_data(query: Query) -> bool:
    end = time.time()
    result = prometheus(
        "/api/v1/query_range", query=query.expr, start=end - 300, end=end, step=SCRAPE_INTERVAL
    )["result"]
    return any(not math.isnan(float(value)) for series in result for _, value in series["values"])


def selector_matches(query: Query) -> bool:
    series = prometheus("/api/v1/series", **{"match[]": query.expr, "start": time.time() - 300})
    return any(query.ref in labels for labels in series)


def test_every_dashboard_query_returns_data_under_traffic() -> None:
    queries = all_queries()
    assert queries

    # Given a little traffic for long enough that rates and quantiles span two scrapes
    traffic = Traffic()
    traffic.start()
    try:
        time.sleep(3 * SCRAPE_INTERVAL)
        assert traffic.error is None, traffic.error

        # When each dashboard's queries are sent as Grafana sends them (panels as range queries,
        # variables as series lookups), retrying while recording rules catch up
        def failing(candidates: list[Query]) -> list[Query]:
            return [
                q
                for q in candidates
                if not (selector_matches(q) if q.panel.startswith("variable ") else returns_data(q))
            ]

        remaining = failing(queries)
        deadline = time.monotonic() + 4 * SCRAPE_INTERVAL
        while remaining and time.monotonic() < deadline:
            time.sleep(SCRAPE_INTERVAL / 3)
            remaining = failing(remaining)
    finally:
        traffic.stop()

    # Then none errors (prometheus() asserts success) and none comes back empty
    assert traffic.error is None, traffic.error
    assert remaining == [], "\n".join(str(q) for q in remaining)
