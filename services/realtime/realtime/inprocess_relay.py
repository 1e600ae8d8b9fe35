"""The outbox relay run inside the Daphne process, for `make dev` (OUTBOX_RELAY_IN_PROCESS).

The in-memory channel layer of the embedded defaults reaches only the process that holds it, so
the relay must publish from the process whose sockets subscribed, and on its event loop:
InMemoryChannelLayer's queues are asyncio queues, not safe to fill from another loop or thread.
So the relay is an asyncio task on Daphne's loop. Each round drains the outbox with the same
code as the relay worker (eventstore.relay.drain) on Django's synchronous thread; its
async_to_sync publishes back on this loop. It wakes when a transaction that wrote outbox rows
commits in this process (eventstore.signals.outbox_committed), and every OUTBOX_POLL_SECONDS
for rows written by other processes (manage.py commands).

The real stack runs the relay as its own worker (manage.py relay_outbox), several side by side,
woken by PostgreSQL's NOTIFY, publishing through Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import Any, cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from eventstore.relay import Backoff, relay_round
from eventstore.signals import outbox_committed

logger = logging.getLogger("eventstore.relay")

# Holds the task: the event loop keeps only a weak reference to it.
_running: list[asyncio.Task[None]] = []
_scheduled = False


def start() -> bool:
    """Schedules the relay on the Daphne loop once it runs, once per process. False when not
    under Daphne."""
    global _scheduled
    if _scheduled or "daphne.server" not in sys.modules:
        return False
    _scheduled = True
    from twisted.internet import reactor

    # A delayed call runs inside the asyncio loop that the reactor drives.
    cast(Any, reactor).callLater(0, _spawn)
    return True


def _spawn() -> None:
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def on_commit(**kwargs: Any) -> None:
        # Sent from Django's request thread: hand the wake-up to the loop's own thread.
        loop.call_soon_threadsafe(wake.set)

    outbox_committed.connect(on_commit, weak=False, dispatch_uid="inprocess-relay")
    _running.append(loop.create_task(run(wake, settings.OUTBOX_POLL_SECONDS)))
    logger.info("outbox relay running in this process")


def stop() -> None:
    """Cancels the relay and stops waking it (tests; the server process simply exits)."""
    outbox_committed.disconnect(dispatch_uid="inprocess-relay")
    while _running:
        _running.pop().cancel()


def _round(backoff: Backoff, poll_seconds: float) -> float:
    close_old_connections()
    return relay_round(settings.OUTBOX_BATCH_SIZE, backoff, poll_seconds)


async def run(wake: asyncio.Event, poll_seconds: float) -> None:
    """Drains, then sleeps until woken or `poll_seconds` pass (less while backing off); until
    cancelled. A commit during a round sets `wake` again, so the next round starts at once."""
    backoff = Backoff()
    while True:
        wake.clear()
        wait = await sync_to_async(_round)(backoff, poll_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), wait)
