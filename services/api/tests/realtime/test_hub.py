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


class BrokenDiscardLayer(FlakyLayer):
    async def group_discard(self, group: str, channel: str) -> None:
        raise ConnectionError("layer down")


def test_a_failed_group_discard_still_removes_the_subscriber() -> None:
    async def scenario() -> None:
        # Given a subscriber of a group, and a layer whose group_discard fails (Redis down)
        hub = Hub(BrokenDiscardLayer())
        subscriber = Subscriber()
        await hub.join("project.1", subscriber)
        try:
            # When it leaves
            await hub.leave("project.1", subscriber)

            # Then the hub no longer holds it (it used to raise and keep it for good)
            assert "project.1" not in hub.members
            assert hub.group_locks == {}
        finally:
            for task in hub.tasks:
                task.cancel()

    async_to_sync(scenario)()


class SlowLayer(FlakyLayer):
    """group_add of `project.slow` waits until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def group_add(self, group: str, channel: str) -> None:
        if group == "project.slow":
            await self.release.wait()
        await super().group_add(group, channel)


def test_a_slow_join_does_not_hold_up_joins_of_other_groups() -> None:
    async def scenario() -> None:
        layer = SlowLayer()
        hub = Hub(layer)
        await hub.join("project.warmup", Subscriber())  # the hub's channel exists
        slow = asyncio.ensure_future(hub.join("project.slow", Subscriber()))
        try:
            await asyncio.sleep(0.05)
            # When another group is joined while the first one's Redis call hangs
            await asyncio.wait_for(hub.join("project.fast", Subscriber()), timeout=2)

            # Then it went through; the slow one completes when its call does
            assert "project.fast" in hub.members
            assert not slow.done()
            layer.release.set()
            await asyncio.wait_for(slow, timeout=2)
            assert "project.slow" in hub.members
        finally:
            slow.cancel()
            for task in hub.tasks:
                task.cancel()

    async_to_sync(scenario)()
