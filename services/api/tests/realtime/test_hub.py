"""The hub after a channel-layer outage: a Redis that comes back without its keys has forgotten
every group, so the hub joins its groups again as soon as the layer answers (found by
scripts/faults/redis_outage.py: live events never resumed)."""

import asyncio
from typing import Any

from asgiref.sync import async_to_sync

from realtime.hub import Hub


class FlakyLayer:
    """A channel layer that can go down and come back empty, as Redis does without persistence."""

    def __init__(self) -> None:
        self.down = False
        self.groups: dict[str, set[str]] = {}

    async def new_channel(self) -> str:
        return "hub.channel!1"

    async def group_add(self, group: str, channel: str) -> None:
        if self.down:
            raise ConnectionError("layer down")
        self.groups.setdefault(group, set()).add(channel)

    async def group_discard(self, group: str, channel: str) -> None:
        self.groups.get(group, set()).discard(channel)

    async def receive(self, channel: str) -> dict[str, Any]:
        if self.down:
            raise ConnectionError("layer down")
        await asyncio.sleep(3600)
        return {}


class Subscriber:
    async def deliver(self, group: str, message: dict[str, Any]) -> None:
        pass


async def _until(condition: Any, timeout: float) -> bool:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def test_groups_are_joined_again_when_the_layer_returns_empty() -> None:
    async def scenario() -> None:
        layer = FlakyLayer()
        hub = Hub(layer)
        await hub.join("project.1", Subscriber())
        await hub.join("workspace.1", Subscriber())
        try:
            # Given the layer goes down and comes back having lost every group
            layer.down = True
            assert await _until(lambda: hub.rejoining is not None, 2)
            layer.groups.clear()
            await asyncio.sleep(0.3)
            layer.down = False

            # Then the hub's groups are joined again within the retry delays, not an hour later
            assert await _until(lambda: set(layer.groups) == {"project.1", "workspace.1"}, 4)
            assert layer.groups["project.1"] == {hub.channel}
        finally:
            for task in [*hub.tasks, hub.rejoining]:
                if task is not None:
                    task.cancel()

    async_to_sync(scenario)()


def test_a_hub_without_failures_never_rejoins() -> None:
    async def scenario() -> None:
        layer = FlakyLayer()
        hub = Hub(layer)
        await hub.join("project.1", Subscriber())
        await asyncio.sleep(0.2)
        assert hub.rejoining is None
        for task in hub.tasks:
            task.cancel()

    async_to_sync(scenario)()
