"""`make dev` under concurrent writes: its SQLite file is written by several request threads at
once, and by the in-process outbox relay and write-behind flush behind them. Every write must
wait its turn for SQLite's one write lock, never answer 503 "database is locked".

Its own server, because a burst of writes would use the demo user's per-minute write budget
that the newcomer's path in test_make_dev.py relies on: here the write throttles are raised, the
storage settings are make dev's own.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import requests
from conftest import DevServer, running_make_dev

DEMO = {"username": "demo", "password": "demo-password-123"}
WRITERS = 4
ROUNDS = 8  # per writer: create, rename, comment and add a milestone
UNLIMITED = {f"THROTTLE_RATE_{scope}": "1000000/hour" for scope in ("USER", "BURST", "SUSTAINED")}


@pytest.fixture(scope="module")
def busy_dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    with running_make_dev(tmp_path_factory.mktemp("make-dev-writes"), UNLIMITED) as server:
        yield server


def write_rounds(
    base: str,
    token: str,
    project: int,
    writer: int,
    start: threading.Barrier,
    statuses: list[tuple[str, int, str]],
) -> None:
    """One writer's rounds, each answer recorded as (what, status, body)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    start.wait(timeout=60)
    for n in range(ROUNDS):
        created = session.post(
            f"{base}/tasks/", json={"project": project, "title": f"w{writer}-{n}"}, timeout=60
        )
        statuses.append(("create task", created.status_code, created.text))
        if created.status_code != 201:
            continue
        task = created.json()["id"]
        for what, response in (
            ("rename", session.patch(f"{base}/tasks/{task}/", json={"title": "r"}, timeout=60)),
            (
                "comment",
                session.post(f"{base}/tasks/{task}/comments/", json={"body": "c"}, timeout=60),
            ),
            (
                "milestone",
                session.post(
                    f"{base}/milestones/",
                    json={"project": project, "name": f"m{writer}-{n}", "due_date": "2027-03-31"},
                    timeout=60,
                ),
            ),
        ):
            statuses.append((what, response.status_code, response.text))


def test_concurrent_writes_wait_for_the_write_lock_instead_of_failing(
    busy_dev_server: DevServer,
) -> None:
    base = f"{busy_dev_server.http}/api/v1"
    login = requests.post(f"{base}/auth/token/", json=DEMO, timeout=30)
    assert login.status_code == 200, login.text
    token = login.json()["access"]
    project = requests.get(
        f"{base}/projects/", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()["results"][0]["id"]

    # When: four clients write at the same moment, each waiting for its answers
    statuses: list[tuple[str, int, str]] = []
    start = threading.Barrier(WRITERS)
    writers = [
        threading.Thread(target=write_rounds, args=(base, token, project, w, start, statuses))
        for w in range(WRITERS)
    ]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in writers), "a writer did not finish in 300 s"

    # Then: every write succeeded (none refused with "database is locked")
    print(
        f"\n{len(statuses)} writes from {WRITERS} clients: "
        f"{dict(Counter(status for _, status, _ in statuses))}"
    )
    failed = [
        (what, status, body[:200]) for what, status, body in statuses if status not in (200, 201)
    ]
    assert failed == []
    assert len(statuses) == WRITERS * ROUNDS * 4
