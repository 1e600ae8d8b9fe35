"""Appending to and reading from the event store.

`append` is the only writer. It runs inside the caller's transaction, so the events, the read
models the caller updates and the outbox rows commit or roll back together.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from core.errors import Conflict
from eventstore import reactions, registry
from eventstore.context import current_context, request_id_for_event
from eventstore.metrics import EVENTS_APPENDED
from eventstore.models import Event, OutboxMessage
from eventstore.signals import outbox_committed


class ConcurrencyConflict(Conflict):
    default_detail = "Another change to this object was committed first. Reload it and retry."


@dataclass(frozen=True)
class NewEvent:
    type: str
    data: dict[str, Any] = field(default_factory=dict)


def stream_version(stream: str) -> int:
    return Event.objects.filter(stream=stream).aggregate(v=Max("version"))["v"] or 0


def append(
    *,
    stream: str,
    expected_version: int,
    events: Sequence[NewEvent],
    workspace_id: int,
    actor_id: int | None,
    group: str,
) -> list[Event]:
    """Appends events after `expected_version`; a concurrent writer that got there first makes
    this raise ConcurrencyConflict (409), leaving the store as the winner left it."""
    if not events:
        return []
    context = current_context()
    request_id = request_id_for_event()
    now = timezone.now()
    records = [
        Event(
            stream=stream,
            version=expected_version + offset,
            type=event.type,
            schema_version=registry.current_schema(event.type),
            data=event.data,
            workspace_id=workspace_id,
            actor_id=actor_id,
            ip_address=context.ip_address,
            user_agent=context.user_agent,
            request_id=request_id,
            correlation_id=context.correlation_id or request_id,
            causation_id=request_id,
            occurred_at=now,
        )
        for offset, event in enumerate(events, start=1)
    ]
    try:
        with transaction.atomic():
            Event.objects.bulk_create(records)
    except IntegrityError:
        raise ConcurrencyConflict() from None
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(event=record, stream=stream, group=group) for record in records]
    )
    types = [record.type for record in records]
    transaction.on_commit(lambda: _count_appended(types))
    transaction.on_commit(lambda: outbox_committed.send(sender=OutboxMessage))
    reactions.react(records)
    return records


def append_next(
    *, stream: str, event: NewEvent, workspace_id: int, actor_id: int | None, group: str
) -> Event:
    """Appends one event at the stream's next version (for streams without an aggregate)."""
    return append(
        stream=stream,
        expected_version=stream_version(stream),
        events=[event],
        workspace_id=workspace_id,
        actor_id=actor_id,
        group=group,
    )[0]


def _count_appended(types: list[str]) -> None:
    for event_type in types:
        EVENTS_APPENDED.labels(event_type).inc()


def read_stream(
    stream: str, *, after_version: int = 0, until: datetime | None = None
) -> list[Event]:
    """The stream's events after a version, oldest first, upcast to their current schema."""
    queryset = Event.objects.filter(stream=stream, version__gt=after_version)
    if until is not None:
        queryset = queryset.filter(occurred_at__lte=until)
    return [upcast(event) for event in queryset.order_by("version")]


def upcast(event: Event) -> Event:
    event.data = registry.upcast(event.type, event.schema_version, event.data)
    event.schema_version = registry.current_schema(event.type)
    return event
