"""The outbox relay: publishes committed events to the channel layer, at least once, in order
per stream, with any number of relays running side by side.

Each batch locks the oldest pending rows with SELECT ... FOR UPDATE SKIP LOCKED, so relays never
wait on each other. Skipping locked rows could reorder a stream (relay A holds event 5 of a
stream while relay B takes event 6), so a relay publishes a stream's rows only as a prefix of
that stream's pending rows: if an earlier pending row of the stream is not in its batch, the
stream waits for the next batch. A row is marked published only after the channel layer took it;
a crash between the two publishes it again (at least once; consumers dedupe by event id).
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from eventstore.metrics import EVENT_DISPATCH_LATENCY, OUTBOX_BACKLOG
from eventstore.models import Event, OutboxMessage

logger = logging.getLogger("eventstore.relay")

MESSAGE_TYPE = "event.message"


@dataclass(frozen=True)
class BatchResult:
    published: int
    held_back: int
    failed: bool


def event_payload(event: Event) -> dict[str, Any]:
    """The event as live subscribers receive it (docs/websocket.md, "The protocol")."""
    return {
        "id": event.id,
        "type": event.type,
        "stream": event.stream,
        "version": event.version,
        "data": event.data,
        "occurred_at": event.occurred_at.isoformat(),
        "request_id": event.request_id,
    }


def _publishable_in_order(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """The rows that are each stream's next pending ones, in id order."""
    mine: dict[str, list[OutboxMessage]] = defaultdict(list)
    for row in rows:
        mine[row.stream].append(row)
    pending: dict[str, list[int]] = defaultdict(list)
    for stream, row_id in (
        OutboxMessage.objects.filter(published_at__isnull=True, stream__in=list(mine))
        .order_by("id")
        .values_list("stream", "id")
    ):
        pending[stream].append(row_id)
    publishable: list[OutboxMessage] = []
    for stream, stream_rows in mine.items():
        for row, next_pending in zip(stream_rows, pending[stream], strict=False):
            if row.id != next_pending:
                break
            publishable.append(row)
    return sorted(publishable, key=lambda row: row.id)


async def _publish(layer: Any, rows: list[OutboxMessage]) -> list[int]:
    """Sends the rows in order on one event loop (one connection for the whole batch, not one
    per row); returns the ids sent, stopping at the first failure."""
    sent: list[int] = []
    for row in rows:
        try:
            # `group` tells a subscriber which of its groups the event came through.
            await layer.group_send(
                row.group,
                {"type": MESSAGE_TYPE, "group": row.group, "event": event_payload(row.event)},
            )
        except Exception:
            logger.warning("publishing outbox row %s failed; will retry", row.id, exc_info=True)
            break
        sent.append(row.id)
        EVENT_DISPATCH_LATENCY.observe(
            max(0.0, (timezone.now() - row.event.occurred_at).total_seconds())
        )
    return sent


def relay_batch(batch_size: int = 200) -> BatchResult:
    """Publishes one batch. Stops at the first failure so no stream is published out of order."""
    layer = get_channel_layer()
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(published_at__isnull=True)
            .select_related("event")
            .order_by("id")[:batch_size]
        )
        publishable = _publishable_in_order(rows)
        published = async_to_sync(_publish)(layer, publishable)
        failed = len(published) < len(publishable)
        if published:
            OutboxMessage.objects.filter(id__in=published).update(published_at=timezone.now())
        if failed:
            unpublished = [row.id for row in publishable if row.id not in published]
            OutboxMessage.objects.filter(id__in=unpublished).update(attempts=F("attempts") + 1)
    return BatchResult(len(published), len(rows) - len(publishable), failed)


def backlog() -> int:
    count = OutboxMessage.objects.filter(published_at__isnull=True).count()
    OUTBOX_BACKLOG.set(count)
    return count


def drain(batch_size: int = 200, max_batches: int = 1000) -> int:
    """Publishes until nothing is pending, a publish fails, or max_batches ran."""
    total = 0
    for _ in range(max_batches):
        result = relay_batch(batch_size)
        total += result.published
        if result.failed or result.published == 0:
            break
    backlog()
    return total


def relay_round(batch_size: int, backoff: "Backoff", poll_seconds: float) -> float:
    """One round of a long-running relay: drains, and returns how long to wait before the next
    round (the poll interval, or the backoff's delay while something stays pending)."""
    try:
        drain(batch_size)
        if backlog():
            # Something is still pending: a publish failed or another relay holds it.
            return backoff.failed()
    except Exception:
        logger.exception("relay batch failed")
        return backoff.failed()
    backoff.succeeded()
    return poll_seconds


class Backoff:
    """Exponential delay after failures, reset by a success; bounded so recovery is quick."""

    def __init__(self, initial: float = 0.2, ceiling: float = 5.0) -> None:
        self.initial = initial
        self.ceiling = ceiling
        self.delay = 0.0

    def failed(self) -> float:
        self.delay = min(self.ceiling, max(self.initial, self.delay * 2))
        return self.delay

    def succeeded(self) -> None:
        self.delay = 0.0
