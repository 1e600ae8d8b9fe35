"""Gunicorn under supervision: a dying worker, a graceful reload, and metrics across workers."""

from __future__ import annotations

import os
import signal
import threading
import time

import requests
from conftest import API_DIRECT, Client, child_pids, program_pid, supervisorctl, wait_until
from prometheus_client.parser import text_string_to_metric_families


def api_requests_total(route: str, status: str) -> float:
    """The api's http_requests_total for one route and status, read straight from /metrics."""
    text = requests.get(f"{API_DIRECT}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "http_requests"
        for sample in family.samples
        if sample.name == "http_requests_total"
        and sample.labels.get("route") == route
        and sample.labels.get("status") == status
        and sample.labels.get("service") == "api"
    )


class Traffic(threading.Thread):
    """Sends requests through nginx until stopped and records every status."""

    def __init__(self, client: Client, path: str) -> None:
        super().__init__(daemon=True)
        self.client, self.path = client, path
        self.statuses: list[int] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.statuses.append(self.client.get(self.path).status_code)
            # About 20 requests a second: well within the per-user throttle over a test.
            time.sleep(0.05)

    def stop(self) -> list[int]:
        self.stopping.set()
        self.join(timeout=30)
        return self.statuses


def test_counters_add_up_across_workers(user_client: Client) -> None:
    # Given the api's count of successful profile reads (every worker's share, summed)
    route = "/api/v1/auth/me/"
    before = api_requests_total(route, "200")

    # When 30 requests go through nginx, spread over the workers
    for _ in range(30):
        assert user_client.get(route).status_code == 200

    # Then one scrape of the api shows all 30, whichever worker answered it
    assert api_requests_total(route, "200") - before == 30


def test_a_killed_worker_is_replaced_without_failed_requests(user_client: Client) -> None:
    # Given the api's workers and a client using the API continuously
    master = program_pid("api")
    workers = child_pids(master)
    assert len(workers) >= 2, workers
    route = "/api/v1/auth/me/"
    counted_before = api_requests_total(route, "200")
    traffic = Traffic(user_client, route)
    traffic.start()
    time.sleep(1)

    # When one worker dies abruptly
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)

    # Then the master starts a replacement, the client sees no error, and the counters keep the
    # dead worker's requests (mark_process_dead removes only its live gauges)
    def replacement() -> set[int] | None:
        current = child_pids(master)
        return current if len(current) == len(workers) and victim not in current else None

    replaced = wait_until(replacement, timeout=30, message="the killed worker was not replaced")
    time.sleep(2)
    statuses = traffic.stop()
    assert program_pid("api") == master
    assert victim not in replaced
    assert statuses, "no request was sent"
    assert set(statuses) == {200}, [s for s in statuses if s != 200]
    assert api_requests_total(route, "200") - counted_before >= len(statuses)


def test_hup_replaces_every_worker_gracefully(user_client: Client) -> None:
    # Given the api's workers and a client using the API continuously
    master = program_pid("api")
    workers = child_pids(master)
    traffic = Traffic(user_client, "/api/v1/auth/me/")
    traffic.start()
    time.sleep(1)

    # When Gunicorn is told to reload
    supervisorctl("signal", "HUP", "api")

    # Then new workers replace all the old ones under the same master, without a failed request
    wait_until(
        lambda: len(child_pids(master)) == len(workers) and not (child_pids(master) & workers),
        timeout=60,
        message="the workers were not replaced after HUP",
    )
    time.sleep(2)
    statuses = traffic.stop()
    assert program_pid("api") == master
    assert set(statuses) == {200}, [s for s in statuses if s != 200]
