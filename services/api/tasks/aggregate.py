"""The task aggregate: its state folded from its events, loaded from a snapshot plus the events
after it, so the cost of loading does not grow with the stream's length."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eventstore.models import Event, Snapshot
from eventstore.store import read_stream
from tasks import events as ev

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


def apply(state: TaskState | None, event: Event) -> TaskState:
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
        Snapshot.objects.update_or_create(
            stream=ev.task_stream(state.id),
            defaults={"version": state.version, "state": state.as_json()},
        )


def snapshot_stream(stream: str) -> None:
    """Snapshots a task stream at its current version (before its early events are archived)."""
    state = load(int(stream.removeprefix("task-")))
    if state is not None:
        Snapshot.objects.update_or_create(
            stream=stream, defaults={"version": state.version, "state": state.as_json()}
        )
