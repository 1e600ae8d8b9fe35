"""The changes whose events the sockets wait for: through the REST API, or published straight
to the channel layer."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import requests

from ws_bench.config import TASKS
from ws_bench.data import World


def drive_writes(api: str, world: World, events: int, rate: float, prefix: str) -> dict[str, Any]:
    """Task renames through the REST API at `rate` per second; runs in a thread."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {world.writer_token}"
    responded: dict[str, float] = {}
    failures = 0
    started = time.monotonic()
    for n in range(events):
        due = started + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        request_id = f"{prefix}-{n}"
        task = world.tasks[n % len(world.tasks)]
        response = session.patch(
            f"{api}/api/v1/tasks/{task}/",
            json={"title": f"{request_id}"},
            headers={"X-Request-ID": request_id},
            timeout=30,
        )
        if response.status_code == 200:
            responded[request_id] = time.time()
        else:
            failures += 1
    return {"responded": responded, "failures": failures, "seconds": time.monotonic() - started}


_direct_versions: Counter[str] = Counter()


async def publish_directly(world: World, events: int, rate: float, prefix: str) -> dict[str, Any]:
    """Events published straight to the channel layer, as the relay does, without the API, the
    database or the relay: the realtime service's own share of the latency."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    group = f"project.{world.project}"
    published: dict[str, float] = {}
    started = time.monotonic()
    for n in range(events):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        stream = f"task-{900_000_000 + n % TASKS}"
        _direct_versions[stream] += 1
        request_id = f"{prefix}-{n}"
        now = time.time()
        event = {
            "id": 900_000_000 + sum(_direct_versions.values()),
            "type": "TaskRenamed",
            "stream": stream,
            "version": _direct_versions[stream],
            "data": {"title": request_id, "previous_title": ""},
            "occurred_at": datetime.fromtimestamp(now, UTC).isoformat(),
            "request_id": request_id,
        }
        await layer.group_send(group, {"type": "event.message", "group": group, "event": event})
        published[request_id] = now
    return {"responded": published, "failures": 0, "seconds": time.monotonic() - started}
