"""The README's first command, end to end: `make dev` on its embedded defaults serves the API,
the WebSocket endpoint on the same origin, the live board and the outbox relay in one process.

A newcomer's path: log in as the demo user, subscribe a socket to a project, create, update,
comment on and delete a task through the API and see each event arrive on the socket, read the
history and the task as it was; then the request collection of docs/requests.http, as is.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import http_collection
import pytest
import requests
from conftest import ROOT, DevServer
from websockets.sync.client import ClientConnection, connect

from tests.realtime.browser import CHROMIUM, Browser

DEMO = {"username": "demo", "password": "demo-password-123"}
EVENT_TIMEOUT = 10.0  # seconds; a bound for a loaded machine, not a latency target


@pytest.fixture(scope="module")
def token(dev_server: DevServer) -> str:
    response = requests.post(f"{dev_server.http}/api/v1/auth/token/", json=DEMO, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["access"])


@pytest.fixture
def api(dev_server: DevServer, token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


@pytest.fixture
def socket(dev_server: DevServer, token: str) -> Iterator[ClientConnection]:
    with connect(dev_server.ws, origin=dev_server.http, open_timeout=30) as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(ws.recv(timeout=30))["type"] == "authenticated"
        yield ws


def receive_event(
    ws: ClientConnection, event_type: str, since: float
) -> tuple[dict[str, Any], float]:
    """The next event of that type, and how long after `since` (monotonic) it arrived."""
    deadline = time.monotonic() + EVENT_TIMEOUT
    while (left := deadline - time.monotonic()) > 0:
        message = json.loads(ws.recv(timeout=left))
        if message["type"] == "event" and message["event"]["type"] == event_type:
            return message["event"], time.monotonic() - since
    raise AssertionError(f"no {event_type} within {EVENT_TIMEOUT} s")


def json_documents(text: str) -> list[Any]:
    """The JSON documents curl printed one after the other (without newlines between them)."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
    return documents


def test_the_root_links_the_api_the_docs_and_the_live_board(dev_server: DevServer) -> None:
    root = requests.get(f"{dev_server.http}/", timeout=30)
    assert root.status_code == 200
    assert root.url == f"{dev_server.http}/api/v1/"
    body = root.json()
    assert body["live_board"] == f"{dev_server.http}/live/"
    assert body["websocket"] == dev_server.ws
    for page in (body["live_board"], body["docs"]["swagger_ui"], body["docs"]["redoc"]):
        assert requests.get(page, timeout=30).status_code == 200, page
    # The docs' assets come from this server (drf-spectacular-sidecar), not a CDN.
    swagger = requests.get(body["docs"]["swagger_ui"], timeout=30).text
    assert "/static/drf_spectacular_sidecar/" in swagger
    assert "cdn." not in swagger


def test_api_changes_arrive_on_a_subscribed_socket_with_history_and_as_of(
    dev_server: DevServer, api: requests.Session, socket: ClientConnection
) -> None:
    base = f"{dev_server.http}/api/v1"
    # Given: the demo user's first project, followed on the socket
    project = api.get(f"{base}/projects/", timeout=30).json()["results"][0]["id"]
    socket.send(json.dumps({"type": "subscribe", "project": project}))
    assert json.loads(socket.recv(timeout=30)) == {"type": "subscribed", "project": project}

    # When: a task is created, renamed, commented on and deleted through the API
    sent = time.monotonic()
    created = api.post(f"{base}/tasks/", json={"project": project, "title": "e2e"}, timeout=30)
    assert created.status_code == 201, created.text
    task = created.json()
    event, created_after = receive_event(socket, "TaskCreated", sent)
    assert event["stream"] == f"task-{task['id']}"
    assert event["request_id"] == created.headers["X-Request-ID"]

    sent = time.monotonic()
    renamed = api.patch(
        f"{base}/tasks/{task['id']}/",
        json={"title": "e2e renamed"},
        headers={"If-Match": created.headers["ETag"]},
        timeout=30,
    )
    assert renamed.status_code == 200, renamed.text
    event, patched_after = receive_event(socket, "TaskRenamed", sent)
    assert event["data"]["title"] == "e2e renamed"

    comment = api.post(f"{base}/tasks/{task['id']}/comments/", json={"body": "hi"}, timeout=30)
    assert comment.status_code == 201, comment.text
    receive_event(socket, "TaskCommented", time.monotonic())

    # Then: the history has every event in order, and as_of shows the task as created (the
    # offset written with an unencoded +, as a user types it)
    history = api.get(f"{base}/tasks/{task['id']}/history/", timeout=30).json()["results"]
    assert [e["type"] for e in history] == ["TaskCreated", "TaskRenamed", "TaskCommented"]
    instant = history[0]["occurred_at"].replace("Z", "+00:00")
    then = api.get(f"{base}/tasks/{task['id']}/?as_of={instant}", timeout=30)
    assert then.status_code == 200, then.text
    assert (then.json()["title"], then.json()["version"]) == ("e2e", 1)

    deleted = api.delete(f"{base}/tasks/{task['id']}/", timeout=30)
    assert deleted.status_code == 204, deleted.text
    receive_event(socket, "TaskDeleted", time.monotonic())
    assert api.get(f"{base}/tasks/{task['id']}/", timeout=30).status_code == 404

    # And: a task created after deleting the newest one is a 201 (ids never come back)
    again = api.post(f"{base}/tasks/", json={"project": project, "title": "again"}, timeout=30)
    assert again.status_code == 201, again.text
    assert again.json()["id"] > task["id"]
    print(
        f"\nevent on the socket {created_after * 1000:.0f} ms after the POST was sent, "
        f"{patched_after * 1000:.0f} ms after the PATCH was sent"
    )


def test_the_readme_quick_start_runs_as_written(dev_server: DevServer) -> None:
    # Given: the README's shell block that starts with the token request, pointed at this port
    readme = (ROOT / "README.md").read_text()
    [block] = [b for b in re.findall(r"```sh\n(.*?)```", readme, re.DOTALL) if "TOKEN=$(" in b]
    script = block.replace("127.0.0.1:8000", f"127.0.0.1:{dev_server.port}")

    # When: bash runs it, stopping at the first failing command
    result = subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n{script}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # Then: it ends with the changed task
    assert result.returncode == 0, result.stderr
    changed = json_documents(result.stdout)[-1]
    assert changed["status"] == "in_progress"
    assert changed["title"] == "My first task"


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (`make chromium`)")
def test_a_change_through_the_api_shows_on_the_live_board(
    dev_server: DevServer, api: requests.Session
) -> None:
    base = f"{dev_server.http}/api/v1"
    project = api.get(f"{base}/projects/", timeout=30).json()["results"][0]["id"]
    created = api.post(
        f"{base}/tasks/", json={"project": project, "title": "on the board"}, timeout=30
    )
    assert created.status_code == 201, created.text
    task = created.json()["id"]
    browser = Browser()
    try:
        # Given: the demo user signed in on /live/ and following the project
        browser.follow_on_the_live_board(
            dev_server.http, DEMO["username"], DEMO["password"], project, task
        )

        # When: the task is moved to done through the API
        moved = api.patch(f"{base}/tasks/{task}/", json={"status": "done"}, timeout=30)
        assert moved.status_code == 200, moved.text

        # Then: its card moves to the done column, live
        column = browser.wait_for(
            f"""(() => {{
                const card = document.querySelector('[data-task-id="{task}"]');
                const column = card && card.closest('.column').dataset.status;
                return column === 'done' && column;
            }})()"""
        )
        assert column == "done"
        assert browser.console == []
        if os.environ.get("E2E_SCREENSHOT"):
            browser.screenshot(Path(os.environ["E2E_SCREENSHOT"]))
    finally:
        browser.close()


def test_the_request_collection_runs_as_written(dev_server: DevServer) -> None:
    # When: docs/requests.http is sent in order, pointed at this server
    results = http_collection.run(
        ROOT / "docs" / "requests.http", {"base": f"{dev_server.http}/api/v1"}
    )

    # Then: every request answers with the status its `# expect:` line names
    assert len(results) >= 10
    for request, response in results:
        assert request.expect is not None, request.title
        assert response.status_code == request.expect, (request.title, response.text)
