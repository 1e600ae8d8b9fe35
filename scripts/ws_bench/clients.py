"""The sockets: each subscribes to the project and tallies what it receives."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import orjson
import websockets
from websockets.asyncio.client import ClientConnection


@dataclass
class Tally:
    """What every socket received, shared by all of them (one event loop, no locks needed)."""

    received: Counter[str] = field(default_factory=Counter)
    from_commit: list[float] = field(default_factory=list)
    receive_times: dict[str, list[float]] = field(default_factory=dict)
    duplicates: int = 0
    out_of_order: int = 0
    closed: Counter[int] = field(default_factory=Counter)


class Reader:
    def __init__(self, url: str, token: str, project: int, tally: Tally) -> None:
        self.url, self.token, self.project, self.tally = url, token, project, tally
        self.connection: ClientConnection | None = None
        self.versions: dict[str, int] = {}
        self.task: asyncio.Task[None] | None = None

    async def open(self, timeout: float) -> None:
        self.connection = await websockets.connect(
            self.url, open_timeout=timeout, max_queue=None, ping_interval=None
        )
        await self.connection.send(json.dumps({"type": "auth", "token": self.token}))
        await self._expect("authenticated", timeout)
        await self.connection.send(json.dumps({"type": "subscribe", "project": self.project}))
        await self._expect("subscribed", timeout)
        self.task = asyncio.create_task(self._read())

    async def _expect(self, kind: str, timeout: float) -> None:
        connection = self._open_connection()
        message = json.loads(await asyncio.wait_for(connection.recv(), timeout))
        if message.get("type") != kind:
            raise RuntimeError(f"expected {kind}, got {message}")

    def _open_connection(self) -> ClientConnection:
        if self.connection is None:
            raise RuntimeError("the socket is not open")
        return self.connection

    async def _read(self) -> None:
        connection = self._open_connection()
        try:
            async for raw in connection:
                now = time.time()
                message = orjson.loads(raw)
                if message.get("type") != "event":
                    continue
                event = message["event"]
                request_id = event["request_id"]
                stream, version = event["stream"], event["version"]
                last = self.versions.get(stream, 0)
                if version <= last:
                    self.tally.duplicates += 1
                    continue
                if version != last + 1 and last:
                    self.tally.out_of_order += 1
                self.versions[stream] = version
                if not request_id.startswith("bench-"):
                    continue
                self.tally.received[request_id] += 1
                committed = datetime.fromisoformat(event["occurred_at"]).timestamp()
                self.tally.from_commit.append(now - committed)
                self.tally.receive_times.setdefault(request_id, []).append(now)
        except websockets.ConnectionClosed as closed:
            self.tally.closed[closed.rcvd.code if closed.rcvd else 1006] += 1

    async def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.connection.close(), 5)
        if self.task is not None:
            self.task.cancel()


async def open_readers(
    urls: list[str], tokens: list[str], project: int, tally: Tally, concurrency: int
) -> tuple[list[Reader], int, float]:
    limit = asyncio.Semaphore(concurrency)
    readers = [Reader(urls[n % len(urls)], token, project, tally) for n, token in enumerate(tokens)]
    failures = 0

    async def one(reader: Reader) -> None:
        nonlocal failures
        async with limit:
            try:
                await reader.open(timeout=30)
            except Exception:
                failures += 1
                reader.connection = None

    started = time.monotonic()
    await asyncio.gather(*(one(reader) for reader in readers))
    return [r for r in readers if r.connection is not None], failures, time.monotonic() - started
