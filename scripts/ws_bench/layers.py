"""The two channel-layer classes compared on their own (--layer-roundtrips)."""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from harness import percentile


async def layer_roundtrips(args: argparse.Namespace, count: int) -> dict[str, dict[str, float]]:
    """Each channel-layer class on its own: `count` group_send -> receive round trips of an
    event-sized message through Redis, one at a time, as the relay publishes and a hub receives."""
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    host = {"address": args.redis_url, "socket_timeout": 15.0}
    results = {}
    for name, layer in (
        ("core", RedisChannelLayer(hosts=[host], prefix="bench-ws-core")),
        ("pubsub", RedisPubSubChannelLayer(hosts=[host], prefix="bench-ws-pubsub")),
    ):
        channel = await layer.new_channel()
        await layer.group_add("project.bench", channel)
        event = {
            "id": 1,
            "type": "TaskRenamed",
            "stream": "task-1",
            "version": 1,
            "data": {"title": "x" * 40, "previous_title": "y" * 40},
            "occurred_at": datetime.now(UTC).isoformat(),
            "request_id": "r" * 32,
        }
        message = {"type": "event.message", "group": "project.bench", "event": event}
        sends, trips = [], []
        cpu = time.process_time()
        for _ in range(count):
            started = time.perf_counter()
            await layer.group_send("project.bench", message)
            sent = time.perf_counter()
            await asyncio.wait_for(layer.receive(channel), 10)
            sends.append(sent - started)
            trips.append(time.perf_counter() - started)
        cpu = time.process_time() - cpu
        await layer.group_discard("project.bench", channel)
        await layer.flush()
        results[name] = {
            "group_send_p50_ms": round(percentile(sends, 0.5) * 1000, 3),
            "group_send_p95_ms": round(percentile(sends, 0.95) * 1000, 3),
            "round_trip_p50_ms": round(percentile(trips, 0.5) * 1000, 3),
            "round_trip_p95_ms": round(percentile(trips, 0.95) * 1000, 3),
            "cpu_us_per_round_trip": round(cpu / count * 1e6, 1),
        }
        print(f"   {name:6} {results[name]}", flush=True)
    return results
