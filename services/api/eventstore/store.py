"""Appending to and reading from the event store.

`append` is the only writer. It runs inside the caller's transaction, so the events, the read
models the caller updates and the outbox rows commit or roll back together.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
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
    savepoint: bool = True,
) -> list[Event]:
    """Appends events after `expected_version`; a concurrent writer that got there first makes
    this raise ConcurrencyConflict (409), leaving the store as the winner left it.

    With savepoint=False a conflict marks the caller's transaction for rollback instead of
    rolling back to a savepoint: for callers that let the conflict end their transaction."""
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
    # A command's conflict ends its transaction, so only a caller that goes on using its
    # transaction afterwards (savepoint=True) needs the SAVEPOINT and RELEASE around the insert.
    try:
        with transaction.atomic(savepoint=savepoint):
            _insert_with_outbox(records, stream=stream, group=group)
    except IntegrityError:
        raise ConcurrencyConflict() from None
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


_EVENT_COLUMNS = [f for f in Event._meta.concrete_fields if f.attname != "id"]
_OUTBOX_COLUMNS = ("event_id", "stream", "group", "created_at", "published_at", "attempts")


def _insert_with_outbox(records: list[Event], *, stream: str, group: str) -> None:
    """Inserts the events and their outbox rows. On PostgreSQL one statement (the outbox rows
    are inserted from the events' RETURNING), elsewhere two bulk inserts; either way the records
    get their ids, and an event at a taken version raises IntegrityError before any outbox row
    exists."""
    if connection.vendor != "postgresql":
        Event.objects.bulk_create(records)
        OutboxMessage.objects.bulk_create(
            [OutboxMessage(event=record, stream=stream, group=group) for record in records]
        )
        return
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(_EVENT_COLUMNS)) + ")"
    params: list[Any] = [
        field.get_db_prep_save(getattr(record, field.attname), connection)
        for record in records
        for field in _EVENT_COLUMNS
    ]
    # Column and table names come from the models' metadata, never from input.
    sql = (
        f"WITH appended AS (INSERT INTO {quote(Event._meta.db_table)} "  # noqa: S608  # nosec B608
        f"({', '.join(quote(f.column) for f in _EVENT_COLUMNS)}) "
        f"VALUES {', '.join([row] * len(records))} RETURNING id, version) "
        f"INSERT INTO {quote(OutboxMessage._meta.db_table)} "
        f"({', '.join(quote(c) for c in _OUTBOX_COLUMNS)}) "
        "SELECT id, %s, %s, %s, NULL, 0 FROM appended ORDER BY version "
        "RETURNING event_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, stream, group, timezone.now()])
        # A stream's versions are unique and its ids drawn in VALUES order: sorted ids pair
        # with the records in version order.
        ids = sorted(event_id for (event_id,) in cursor.fetchall())
    for record, event_id in zip(records, ids, strict=True):
        record.id = event_id
        record._state.adding = False
        record._state.db = connection.alias


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
