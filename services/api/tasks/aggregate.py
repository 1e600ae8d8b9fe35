"""The task aggregate: its state folded from its events, loaded from a snapshot plus the events
after it, so the cost of loading does not grow with the stream's length."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import orjson
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from eventstore import registry
from eventstore.ids import allocate_id
from eventstore.models import Event, Snapshot
from eventstore.store import read_stream
from tasks import events as ev
from tasks.models import Comment
from workspaces.access import access_role
from workspaces.models import Membership, Role

SNAPSHOT_EVERY = 100


@dataclass
class TaskState:
    """A task as its events made it: the fields of TaskCreated (ev.CREATED_FIELDS, which a test
    holds equal to these), then what the events' metadata gives."""

    id: int
    project_id: int
    workspace_id: int
    title: str = ""
    description: str = ""
    status: str = "todo"
    priority: int = 2
    assignee_id: int | None = None
    label_ids: list[int] = field(default_factory=list)
    due_date: str | None = None
    created_by_id: int | None = None
    created_at: str = ""
    updated_at: str = ""
    deleted: bool = False
    version: int = 0

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> TaskState:
        return cls(**state)


class Recorded(Protocol):
    """What apply reads of an event: a stored Event, or a row read without building one."""

    @property
    def stream(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def data(self) -> Any: ...
    @property
    def occurred_at(self) -> datetime: ...


class _Row(NamedTuple):
    stream: str
    version: int
    type: str
    data: Any
    occurred_at: datetime


def apply(state: TaskState | None, event: Recorded) -> TaskState:
    """The state after one event. Pure: no I/O, so history and as_of can replay freely."""
    data = event.data
    occurred = event.occurred_at.isoformat()
    if event.type == ev.TASK_CREATED:
        state = TaskState(**{name: data[name] for name in ev.CREATED_FIELDS}, created_at=occurred)
        state.label_ids = sorted(state.label_ids)
    elif state is None:
        raise ValueError(f"{event.type} before TaskCreated in {event.stream}")
    else:
        state = dataclasses.replace(state)
        for name, value in data.items():
            if name in ev.FIELD_EVENTS:
                setattr(state, name, sorted(value) if name == "label_ids" else value)
        if event.type == ev.TASK_DELETED:
            state.deleted = True
    state.version = event.version
    state.updated_at = occurred
    return state


def fold(events: list[Event], state: TaskState | None = None) -> TaskState | None:
    for event in events:
        state = apply(state, event)
    return state


def load(task_id: int) -> TaskState | None:
    """The current state: the latest snapshot, then the events after it."""
    stream = ev.task_stream(task_id)
    snapshot = Snapshot.objects.filter(stream=stream).first()
    state = TaskState.from_json(snapshot.state) if snapshot else None
    return fold(read_stream(stream, after_version=state.version if state else 0), state)


@dataclass(frozen=True)
class Loaded:
    """What a command decides with: the task's current state (None: no such task), the actor's
    role in its workspace (None: not a member) and, when asked for, a comment id drawn as
    allocate_id draws it."""

    state: TaskState | None
    role: Role | None
    drawn_id: int | None = None


def load_for_command(
    task_id: int, *, actor: AbstractBaseUser, draw_comment_id: bool = False
) -> Loaded:
    """The state as load() folds it, the actor's role and a drawn id, inside the command's
    transaction. On PostgreSQL one statement where the ORM takes three or four (snapshot,
    events, membership, nextval): each costs a round trip and more CPU in Django than in
    PostgreSQL. A task never changes workspace, so the role is looked up in the workspace of the
    snapshot, or else of the stream's first event (events are archived only behind a snapshot)."""
    if connection.vendor != "postgresql":
        state = load(task_id)
        role = access_role(actor, state.workspace_id) if state is not None else None
        drawn = allocate_id(Comment) if draw_comment_id else None
        return Loaded(state, role, drawn)
    stream = ev.task_stream(task_id)
    params: dict[str, Any] = {"stream": stream, "user": actor.pk}
    draw = ""
    if draw_comment_id:  # allocate_id's nextval, in this round trip
        draw = ", nextval(pg_get_serial_sequence(%(table)s, 'id'))"
        params["table"] = Comment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(_LOAD_FOR_COMMAND_SQL.format(draw=draw, **_TABLES), params)
        row = cursor.fetchone()
    assert row is not None  # noqa: S101 - a SELECT without FROM returns one row  # nosec B101
    snapshot, events, role = row[0], row[1] or [], row[2]
    # Django has psycopg hand jsonb over as text (JSONField decodes it); json_agg's json arrives
    # decoded.
    state = TaskState.from_json(orjson.loads(snapshot)) if snapshot is not None else None
    for version, event_type, schema_version, data, occurred_at in events:
        # Upcast as read_stream does, without building a model instance per event.
        data = registry.upcast(event_type, schema_version, data)
        read = _Row(stream, version, event_type, data, datetime.fromisoformat(occurred_at))
        state = apply(state, read)
    return Loaded(state, Role(role) if role else None, row[3] if draw else None)


_TABLES = {
    "snapshot": Snapshot._meta.db_table,
    "event": Event._meta.db_table,
    "membership": Membership._meta.db_table,
}

# Table names come from the models' metadata; every value is a parameter.
_LOAD_FOR_COMMAND_SQL = """
WITH snapshot AS (
    SELECT version, state FROM {snapshot} WHERE stream = %(stream)s
), events AS (
    SELECT version, type, schema_version, data, occurred_at, workspace_id FROM {event}
    WHERE stream = %(stream)s AND version > COALESCE((SELECT version FROM snapshot), 0)
)
SELECT
    (SELECT state FROM snapshot),
    (SELECT json_agg(json_build_array(version, type, schema_version, data, occurred_at)
                     ORDER BY version) FROM events),
    (SELECT role FROM {membership}
      WHERE user_id = %(user)s
        AND workspace_id = COALESCE(
            (SELECT (state ->> 'workspace_id')::bigint FROM snapshot),
            (SELECT workspace_id FROM events ORDER BY version LIMIT 1)))
    {draw}
"""  # nosec B608


def load_as_of(task_id: int, instant: datetime) -> TaskState | None:
    """The state as it was at `instant`; None if the task did not exist yet."""
    stream = ev.task_stream(task_id)
    snapshot = Snapshot.objects.filter(stream=stream).first()
    state = None
    if snapshot and datetime.fromisoformat(snapshot.state["updated_at"]) <= instant:
        state = TaskState.from_json(snapshot.state)
    after = state.version if state else 0
    return fold(read_stream(stream, after_version=after, until=instant), state)


def snapshot_if_due(previous_version: int, state: TaskState) -> None:
    """Writes a snapshot whenever the stream crosses a multiple of SNAPSHOT_EVERY."""
    if state.version // SNAPSHOT_EVERY > previous_version // SNAPSHOT_EVERY:
        # One INSERT ... ON CONFLICT DO UPDATE: update_or_create inside the command's transaction
        # was a SAVEPOINT, a SELECT ... FOR UPDATE, the write and a RELEASE.
        Snapshot.objects.bulk_create(
            [
                Snapshot(
                    stream=ev.task_stream(state.id), version=state.version, state=state.as_json()
                )
            ],
            update_conflicts=True,
            unique_fields=["stream"],
            update_fields=["version", "state", "created_at"],
        )


def snapshot_stream(stream: str) -> None:
    """Snapshots a task stream at its current version (before its early events are archived)."""
    state = load(int(stream.removeprefix("task-")))
    if state is not None:
        Snapshot.objects.update_or_create(
            stream=stream, defaults={"version": state.version, "state": state.as_json()}
        )
