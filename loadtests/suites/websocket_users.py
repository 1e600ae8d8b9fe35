"""WebSocket users, and the writers whose changes they wait for.

`SocketUser` opens wss://<host>/ws/v1/, authenticates with its first message, subscribes to one
of the first LOADTEST_WS_PROJECTS projects and then holds the socket for the whole run, pinging
now and then. `LiveWriter` changes tasks of those projects through the REST API, each request
with a unique X-Request-ID. When a socket receives an event whose `request_id` is one this
process sent, it records the delivery latency: from the moment the writer had the API's answer
to the moment the socket had the event (0 when the event came first: it can, since the relay
publishes on commit). Writers and sockets are matched within one Locust process, so the figure
stays correct with any number of distributed workers.

Entries in Locust's statistics (request type WS):
    ws: connect      connect + auth + subscribe, one per socket (its count is the sockets opened)
    ws: delivery     one per event received for a write of this process (fan-out included)
    ws: ping         round trip of a ping
    ws: dropped      a failure per socket closed by the other side during the run
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import gevent
import websocket
from locust import FastHttpUser, User, between, constant_throughput, events, task
from suites.common import dataset, env_float, env_int, pick, ssl_context, token_for

# request id -> monotonic time the writer got the API's answer (None while it waits for it).
SENT: dict[str, float | None] = {}
SENT_TTL = 60.0
_sent_at: dict[str, float] = {}
STATS = {"open": 0, "max_open": 0, "delivered": 0, "early": 0}


def live_projects() -> list[int]:
    data = dataset()
    # Projects some account of this process can see, in a stable order.
    visible = sorted({p for a in data.accounts for p in data.projects_of(a)})
    return visible[: env_int("LOADTEST_WS_PROJECTS", 10)]


def _account_for(project: int, n: int) -> Any:
    data = dataset()
    accounts = data.accounts_in(data.projects[project]["workspace"])
    return accounts[n % len(accounts)]


def _forget_old() -> None:
    cutoff = time.monotonic() - SENT_TTL
    for rid in [rid for rid, at in _sent_at.items() if at < cutoff]:
        _sent_at.pop(rid, None)
        SENT.pop(rid, None)


def _fire(name: str, started: float, *, length: int = 0, exc: Exception | None = None) -> None:
    events.request.fire(
        request_type="WS",
        name=name,
        response_time=(time.monotonic() - started) * 1000,
        response_length=length,
        exception=exc,
        context={},
    )


class SocketUser(User):
    """One open socket following one project."""

    wait_time = between(20, 30)
    weight = 10
    fixed_count = env_int("LOADTEST_SOCKETS", 0)
    _count = 0

    def on_start(self) -> None:
        SocketUser._count += 1
        n = SocketUser._count
        projects = live_projects()
        self.project = projects[n % len(projects)]
        self.account = _account_for(self.project, n)
        self.ws: websocket.WebSocket | None = None
        self.pongs: list[float] = []
        url = self.host.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
        started = time.monotonic()
        try:
            ws = websocket.create_connection(
                url + "/ws/v1/",
                timeout=15,
                sslopt={"context": ssl_context()},
                origin=self.host.rstrip("/"),
            )
            ws.send(json.dumps({"type": "auth", "token": token_for(self.host, self.account)}))
            self._expect(ws, "authenticated")
            ws.send(json.dumps({"type": "subscribe", "project": self.project}))
            self._expect(ws, "subscribed")
        except Exception as exc:
            # websocket-client appends the response headers (a request id each): drop them so
            # that equal failures count as one error in the report.
            _fire("ws: connect", started, exc=RuntimeError(str(exc).split(" -+-+- ")[0]))
            return
        _fire("ws: connect", started)
        self.ws = ws
        STATS["open"] += 1
        STATS["max_open"] = max(STATS["max_open"], STATS["open"])
        ws.settimeout(None)
        self.reader = gevent.spawn(self._read)

    @staticmethod
    def _expect(ws: websocket.WebSocket, kind: str) -> None:
        message = json.loads(ws.recv())
        if message.get("type") != kind:
            raise RuntimeError(f"expected {kind}, got {message}")

    def _read(self) -> None:
        ws = self.ws
        assert ws is not None  # noqa: S101
        while True:
            try:
                text = ws.recv()
            except Exception as exc:
                if self.ws is not None:  # not closed by on_stop
                    STATS["open"] -= 1
                    _fire("ws: dropped", time.monotonic(), exc=exc)
                    self.ws = None
                return
            now = time.monotonic()
            if not text:
                continue
            message = json.loads(text)
            kind = message.get("type")
            if kind == "event":
                rid = (message.get("event") or {}).get("request_id")
                if rid in SENT:
                    answered = SENT[rid]
                    if answered is None:
                        STATS["early"] += 1
                        answered = now
                    STATS["delivered"] += 1
                    _fire("ws: delivery", answered, length=len(text))
            elif kind == "pong" and self.pongs:
                _fire("ws: ping", self.pongs.pop(0))

    @task
    def ping(self) -> None:
        if self.ws is None:
            return
        self.pongs.append(time.monotonic())
        with contextlib.suppress(Exception):  # a failed send: the reader reports the drop
            self.ws.send('{"type": "ping"}')

    def on_stop(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            STATS["open"] -= 1
            with contextlib.suppress(Exception):  # closing at the end of the run
                ws.close(timeout=2)


class LiveWriter(FastHttpUser):
    """Changes tasks of the followed projects; each change becomes events on the sockets."""

    wait_time = constant_throughput(env_float("LOADTEST_LIVE_RATE", 1.0))
    weight = 1
    fixed_count = env_int("LOADTEST_LIVE_WRITERS", 0)
    _count = 0

    def on_start(self) -> None:
        LiveWriter._count += 1
        self.n = LiveWriter._count

    @task
    def change(self) -> None:
        _forget_old()
        project = pick(live_projects())
        account = _account_for(project, self.n)
        task_id = pick(dataset().projects[project]["tasks"])
        rid = f"lt-live-{id(self):x}-{time.monotonic_ns():x}"
        SENT[rid] = None
        _sent_at[rid] = time.monotonic()
        with self.client.patch(
            f"/api/v1/tasks/{task_id}/",
            json={
                "status": pick(["todo", "in_progress", "done"]),
                "priority": pick(["low", "high"]),
            },
            headers={
                "Authorization": f"Bearer {token_for(self.host, account)}",
                "X-Request-ID": rid,
            },
            name="write: task patch (live)",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                SENT[rid] = time.monotonic()
            else:
                SENT.pop(rid, None)
                if response.status_code == 404:
                    response.success()
