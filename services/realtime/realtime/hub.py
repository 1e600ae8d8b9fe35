"""The process's one receiver of the channel layer: each group's events arrive here once and are
handed to every local socket that follows the group.

Channels' usual pattern gives each socket its own layer channel: an event for a project with a
thousand local subscribers is then queued, deserialised and dispatched a thousand times, each
through the consumer's own wake-up. Here the process holds one channel, joins a group when its
first local socket subscribes and leaves it with the last, and fans each event out in a plain
loop. Order is kept: the hub handles one message at a time, and sends to each socket in turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from typing import Any, Protocol

from channels.layers import get_channel_layer

logger = logging.getLogger("realtime.hub")

# The core Redis layer forgets group members after its group_expiry (a day by default); the hub
# renews its groups well before that.
GROUP_RENEWAL_SECONDS = 3600.0
RECEIVE_RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)


class Subscriber(Protocol):
    async def deliver(self, group: str, message: dict[str, Any]) -> None: ...


class _GroupLock:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class Hub:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[str, set[Subscriber]] = {}
        # One lock per group, held across that group's group_add/group_discard only: a slow
        # Redis round trip for one group does not hold up the sockets joining other groups.
        self.group_locks: dict[str, _GroupLock] = {}
        self.start_lock = asyncio.Lock()
        self.tasks: list[asyncio.Task[None]] = []
        self.rejoining: asyncio.Task[None] | None = None

    async def join(self, group: str, subscriber: Subscriber) -> None:
        """Returns once the group's events reach this process."""
        members = self.members.get(group)
        if members is not None:
            members.add(subscriber)  # already followed: no I/O, no lock
            return
        async with self._group_lock(group):
            if group not in self.members:
                await self._start()
                await self.layer.group_add(group, self.channel)
                self.members[group] = set()
            self.members[group].add(subscriber)

    async def leave(self, group: str, subscriber: Subscriber) -> None:
        """The subscriber stops receiving the group's events at once, whatever the channel
        layer answers: a failed group_discard only leaves this process receiving a group it
        ignores (dispatch finds no members) until the layer forgets it."""
        members = self.members.get(group)
        if members is None or subscriber not in members:
            return
        members.discard(subscriber)
        if members:
            return
        del self.members[group]
        try:
            async with self._group_lock(group):
                if group not in self.members:  # nobody joined again meanwhile
                    await self.layer.group_discard(group, self.channel)
        except Exception:
            logger.warning("leaving group %s failed; its events are ignored", group, exc_info=True)

    @contextlib.asynccontextmanager
    async def _group_lock(self, group: str) -> AsyncIterator[None]:
        """The group's lock, forgotten once nobody holds or awaits it."""
        entry = self.group_locks.get(group)
        if entry is None:
            entry = self.group_locks[group] = _GroupLock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self.group_locks[group]

    async def _start(self) -> None:
        if self.channel is not None:
            return
        async with self.start_lock:
            if self.channel is not None:
                return
            self.channel = await self.layer.new_channel()
            self.tasks = [
                asyncio.ensure_future(self._receive_forever()),
                asyncio.ensure_future(self._renew_forever()),
            ]

    async def _receive_forever(self) -> None:
        failures = 0
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                delay = RECEIVE_RETRY_SECONDS[min(failures, len(RECEIVE_RETRY_SECONDS) - 1)]
                failures += 1
                logger.warning(
                    "channel layer receive failed; retrying in %s s", delay, exc_info=True
                )
                self._rejoin_when_back()
                await asyncio.sleep(delay)
                continue
            failures = 0
            await self.dispatch(message)

    async def dispatch(self, message: dict[str, Any]) -> None:
        group = message.get("group")
        members = self.members.get(group) if isinstance(group, str) else None
        if not members:
            return
        for subscriber in list(members):
            try:
                await subscriber.deliver(group, message)  # type: ignore[arg-type]
            except Exception:
                logger.exception("delivering to a socket failed")

    def _rejoin_when_back(self) -> None:
        """A layer that failed may come back without its groups (a Redis restarted without
        persistence has no keys): joins them all again as soon as it answers, instead of at the
        next renewal, an hour later, while the sockets wait for events that never come."""
        if self.rejoining is None or self.rejoining.done():
            self.rejoining = asyncio.ensure_future(self._rejoin())

    async def _rejoin(self) -> None:
        attempt = 0
        while True:
            try:
                for group in list(self.members):
                    await self.layer.group_add(group, self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(
                    RECEIVE_RETRY_SECONDS[min(attempt, len(RECEIVE_RETRY_SECONDS) - 1)]
                )
                attempt += 1
                continue
            logger.info("channel layer answers again: rejoined %d groups", len(self.members))
            return

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(GROUP_RENEWAL_SECONDS)
            for group in list(self.members):
                try:
                    await self.layer.group_add(group, self.channel)
                except Exception:
                    logger.warning("renewing group %s failed", group, exc_info=True)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The hub of the running event loop (Daphne runs one; tests may run several in turn)."""
    loop = asyncio.get_running_loop()
    current = _hubs.get(loop)
    if current is None:
        current = _hubs[loop] = Hub(get_channel_layer())
    return current
