"""The load generator of the fault scenarios: writers, readers and WebSocket subscribers against
the private stack (asyncio, httpx, websockets), recording every request and every event seen.

Every write is one command that appends exactly one event (a new task, a new title, a status
change, a comment) and carries its own X-Request-ID, so reconciliation can find its event: an
accepted command (2xx) must be in the event store exactly once, a refused one (an answer >= 400)
not at all, and one without an answer (connection lost) at most once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import connect

from harness import percentile

# A throwaway user of a throwaway stack.
# No hex digits and few letters of the labels: the usernames are "<label>-<8 hex>", and Django's
# UserAttributeSimilarityValidator rejected the old "fault-Password-1357!" for about 1 in 110
# random "postgres-" names (a 400 from registration that failed a whole scenario).
PASSWORD = "Gz!Kw#Yq-JmTn_Hv"  # noqa: S105  # nosec B105
STATUSES = ["todo", "in_progress", "done"]


@dataclass
class Request:
    at: float  # seconds since the load started
    write: bool
    kind: str
    status: int | None  # None: no answer (connection refused, reset or timed out)
    latency: float
    error_code: str | None = None
    request_id: str = ""
    task_id: int | None = None
    version: int | None = None
    comment_id: int | None = None

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500


@dataclass
class Received:
    socket: int
    at: float
    event_id: int
    stream: str
    version: int


@dataclass
class SocketLife:
    connects: list[float] = field(default_factory=list)
    disconnects: list[float] = field(default_factory=list)


def _raise_for_status(response: httpx.Response) -> None:
    """raise_for_status, with the answer's body: the envelope says what was wrong."""
    if response.is_error:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} "
            f"{response.text[:500]}"
        )


class Load:
    def __init__(
        self,
        api_url: str,
        ws_url: str,
        *,
        label: str,
        writers: int = 3,
        readers: int = 3,
        sockets: int = 3,
        pause: float = 0.1,
        seed: int = 9,
    ) -> None:
        self.api_url, self.ws_url, self.label = api_url, ws_url, label
        self.writers, self.readers, self.sockets, self.pause = writers, readers, sockets, pause
        # A fixed mix of requests, the same every run; nothing secret depends on it.
        self.random = random.Random(seed)  # noqa: S311  # nosec B311
        self.requests: list[Request] = []
        self.received: list[Received] = []
        self.socket_lives = [SocketLife() for _ in range(sockets)]
        self.marks: dict[str, float] = {}
        self.task_ids: list[int] = []
        # Filled in by prepare().
        self.token = ""  # nosec B105
        self.project_id = 0
        self.workspace_id = 0
        self._t0 = time.monotonic()
        self._subscribed = 0

    def now(self) -> float:
        return time.monotonic() - self._t0

    def mark(self, name: str) -> float:
        self.marks[name] = self.now()
        return self.marks[name]

    # --- setup ------------------------------------------------------------------------------

    async def prepare(self) -> None:
        username = f"{self.label}-{uuid.uuid4().hex[:8]}"
        async with httpx.AsyncClient(base_url=self.api_url, timeout=30) as client:
            created = await client.post(
                "/api/v1/auth/register/",
                json={
                    "username": username,
                    "email": f"{username}@example.com",
                    "password": PASSWORD,
                },
            )
            _raise_for_status(created)
            token = await client.post(
                "/api/v1/auth/token/", json={"username": username, "password": PASSWORD}
            )
            _raise_for_status(token)
            self.token = token.json()["access"]
            headers = self._headers()
            workspace = await client.post(
                "/api/v1/workspaces/", json={"name": f"{self.label} workspace"}, headers=headers
            )
            _raise_for_status(workspace)
            self.workspace_id = workspace.json()["id"]
            project = await client.post(
                "/api/v1/projects/",
                json={"workspace": self.workspace_id, "name": f"{self.label} project"},
                headers=headers,
            )
            _raise_for_status(project)
            self.project_id = project.json()["id"]

    def _headers(self, request_id: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if request_id:
            headers["X-Request-ID"] = request_id
        return headers

    # --- running ----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, sockets_stop: asyncio.Event) -> None:
        """Sockets first (subscribed before any write), then writers and readers until `stop`;
        the sockets stay open until `sockets_stop`, to take in what is still being published."""
        socket_tasks = [asyncio.create_task(self._socket(i, stop)) for i in range(self.sockets)]
        deadline = time.monotonic() + 30
        while self._subscribed < self.sockets and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self._t0 = time.monotonic()
        self.mark("start")
        workers = [asyncio.create_task(self._writer(i, stop)) for i in range(self.writers)]
        workers += [asyncio.create_task(self._reader(i, stop)) for i in range(self.readers)]
        await asyncio.gather(*workers)
        self.mark("end")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sockets_stop.wait(), timeout=180)
        for task in socket_tasks:
            task.cancel()
        await asyncio.gather(*socket_tasks, return_exceptions=True)

    async def _send(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        *,
        kind: str,
        write: bool,
        body: dict[str, Any] | None = None,
        request_id: str = "",
    ) -> tuple[Request, dict[str, Any] | None]:
        started = self.now()
        clock = time.monotonic()
        try:
            response = await client.request(
                method, path, json=body, headers=self._headers(request_id or None)
            )
        except httpx.HTTPError:
            record = Request(started, write, kind, None, time.monotonic() - clock, None, request_id)
            self.requests.append(record)
            return record, None
        latency = time.monotonic() - clock
        payload: dict[str, Any] | None = None
        with contextlib.suppress(ValueError):
            payload = response.json()
        code = None
        if response.status_code >= 400:
            code = (payload or {}).get("error", {}).get("code", "not-an-envelope")
        record = Request(started, write, kind, response.status_code, latency, code, request_id)
        self.requests.append(record)
        return record, payload

    async def _writer(self, index: int, stop: asyncio.Event) -> None:
        tasks: dict[int, dict[str, Any]] = {}  # task id -> {"status", "certain"}
        n = 0
        async with httpx.AsyncClient(base_url=self.api_url, timeout=10) as client:
            while not stop.is_set():
                n += 1
                rid = f"{self.label}-w{index}-{n}"
                choice = self.random.random()
                if len(tasks) < 3 or choice < 0.2:
                    record, body = await self._send(
                        client,
                        "POST",
                        "/api/v1/tasks/",
                        kind="create",
                        write=True,
                        body={"project": self.project_id, "title": rid},
                        request_id=rid,
                    )
                    if body and record.status == 201:
                        record.task_id, record.version = body["id"], body["version"]
                        tasks[body["id"]] = {"status": body["status"], "certain": True}
                        self.task_ids.append(body["id"])
                else:
                    task_id = self.random.choice(list(tasks))
                    state = tasks[task_id]
                    if choice < 0.35:
                        record, body = await self._send(
                            client,
                            "POST",
                            f"/api/v1/tasks/{task_id}/comments/",
                            kind="comment",
                            write=True,
                            body={"body": rid},
                            request_id=rid,
                        )
                        record.task_id = task_id
                        if body and record.status == 201:
                            record.comment_id = body["id"]
                    else:
                        if choice < 0.6 and state["certain"]:
                            new = STATUSES[(STATUSES.index(state["status"]) + 1) % 3]
                            kind, change = "status", {"status": new}
                        else:
                            kind, change = "rename", {"title": rid}
                        record, body = await self._send(
                            client,
                            "PATCH",
                            f"/api/v1/tasks/{task_id}/",
                            kind=kind,
                            write=True,
                            body=change,
                            request_id=rid,
                        )
                        record.task_id = task_id
                        if body and record.status == 200:
                            record.version = body["version"]
                            tasks[task_id] = {"status": body["status"], "certain": True}
                        elif record.status is None:
                            # It may or may not have happened: change the status again only
                            # once an answer tells the current one.
                            state["certain"] = False
                await asyncio.sleep(self.pause)

    async def _reader(self, index: int, stop: asyncio.Event) -> None:
        n = 0
        async with httpx.AsyncClient(base_url=self.api_url, timeout=10) as client:
            while not stop.is_set():
                n += 1
                if n % 3 == 0 and self.task_ids:
                    task_id = self.random.choice(self.task_ids)
                    await self._send(
                        client, "GET", f"/api/v1/tasks/{task_id}/", kind="task", write=False
                    )
                elif n % 3 == 1:
                    await self._send(
                        client,
                        "GET",
                        f"/api/v1/tasks/?project={self.project_id}&page_size=20",
                        kind="tasks",
                        write=False,
                    )
                else:
                    await self._send(
                        client,
                        "GET",
                        f"/api/v1/projects/{self.project_id}/",
                        kind="project",
                        write=False,
                    )
                await asyncio.sleep(self.pause)

    async def _socket(self, index: int, stop: asyncio.Event) -> None:
        life = self.socket_lives[index]
        while not stop.is_set():
            try:
                async with connect(self.ws_url, open_timeout=5, close_timeout=2) as ws:
                    await ws.send(json.dumps({"type": "auth", "token": self.token}))
                    if json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] != "authenticated":
                        raise ConnectionError("not authenticated")
                    await ws.send(json.dumps({"type": "subscribe", "project": self.project_id}))
                    if json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] != "subscribed":
                        raise ConnectionError("not subscribed")
                    life.connects.append(self.now())
                    self._subscribed += 1
                    async for raw in ws:
                        message = json.loads(raw)
                        if message.get("type") == "event":
                            event = message["event"]
                            self.received.append(
                                Received(
                                    index,
                                    self.now(),
                                    event["id"],
                                    event["stream"],
                                    event["version"],
                                )
                            )
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: S110 - any failure is a disconnect, counted below  # nosec B110
                pass
            if life.connects and len(life.disconnects) < len(life.connects):
                life.disconnects.append(self.now())
            await asyncio.sleep(0.5)

    # --- figures ----------------------------------------------------------------------------

    def window(self, start: float, end: float) -> dict[str, Any]:
        """Request figures for [start, end) seconds of the load."""
        chosen = [r for r in self.requests if start <= r.at < end]
        reads = [r for r in chosen if not r.write]
        writes = [r for r in chosen if r.write]

        def ok(rs: list[Request]) -> int:
            return sum(1 for r in rs if r.status is not None and r.status < 400)

        failed = [r for r in chosen if r.failed]
        return {
            "requests": len(chosen),
            "reads_ok": ok(reads),
            "reads": len(reads),
            "writes_ok": ok(writes),
            "writes": len(writes),
            "5xx": sum(1 for r in chosen if r.status is not None and r.status >= 500),
            "503": sum(1 for r in chosen if r.status == 503),
            "no_answer": sum(1 for r in chosen if r.status is None),
            "error_rate": len(failed) / len(chosen) if chosen else 0.0,
            "p50_ms": 1000 * percentile([r.latency for r in chosen], 0.50, empty=0.0),
            "p95_ms": 1000 * percentile([r.latency for r in chosen], 0.95, empty=0.0),
            "failed_p95_ms": 1000 * percentile([r.latency for r in failed], 0.95, empty=0.0),
            "not_envelope": sum(1 for r in chosen if r.error_code == "not-an-envelope"),
        }
