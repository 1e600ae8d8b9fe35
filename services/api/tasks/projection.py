"""The task read models (Task, its labels, Comment), maintained from the task events.

Idempotent: each Task row records the version of the last event applied to it, and an event at
or below that version is skipped, so replaying a stream (a rebuild, a retried batch) changes
nothing twice. Timestamps come from the events, so a rebuild reproduces them exactly.
"""

from datetime import date

from eventstore.models import Event
from tasks import events as ev
from tasks.models import Comment, Task
from workspaces.models import Label, Project

PROJECTION_NAME = "tasks"

# Event fields are named as the Task row's attributes; labels are a relation, set on their own.
_CREATED_ROW_FIELDS = tuple(name for name in ev.CREATED_FIELDS if name != "label_ids")
_CHANGED_ROW_FIELDS = frozenset(ev.FIELD_EVENTS) - {"label_ids"}


def project(event: Event) -> Task | None:
    """Applies one task event to the read models; returns the task row as it now is (None when
    the event deleted it or changed nothing), so that a command need not read it back."""
    if not event.stream.startswith("task-"):
        return None
    if event.type == ev.TASK_CREATED:
        return _create(event)
    task = Task.objects.filter(pk=event.data.get("id") or _task_id(event)).first()
    if task is None or task.version >= event.version:
        return None
    if event.type == ev.TASK_DELETED:
        task.delete()
        return None
    _apply_fields(task, event)
    _apply_comment(task, event)
    task.version = event.version
    task.updated_at = event.occurred_at
    task.save()
    return task


def _task_id(event: Event) -> int:
    return int(event.stream.removeprefix("task-"))


def _create(event: Event) -> Task | None:
    data = event.data
    if Task.objects.filter(pk=data["id"]).exists():
        return None
    if not Project.objects.filter(pk=data["project_id"]).exists():
        return None  # the project was deleted after this event; its tasks went with it
    row = {name: data[name] for name in _CREATED_ROW_FIELDS}
    row["due_date"] = _date(row["due_date"])
    task = Task.objects.create(
        **row, version=event.version, created_at=event.occurred_at, updated_at=event.occurred_at
    )
    _set_labels(task, data["label_ids"])
    return task


def _apply_fields(task: Task, event: Event) -> None:
    for name, value in event.data.items():
        if name == "label_ids":
            _set_labels(task, value)
        elif name in _CHANGED_ROW_FIELDS:
            setattr(task, name, _date(value) if name == "due_date" else value)


def _apply_comment(task: Task, event: Event) -> None:
    data = event.data
    if event.type == ev.TASK_COMMENTED:
        # One INSERT ... ON CONFLICT DO UPDATE: update_or_create's savepoints, SELECT FOR UPDATE
        # and INSERT were five statements of a comment's command.
        Comment.objects.bulk_create(
            [
                Comment(
                    pk=data["comment_id"],
                    task=task,
                    author_id=data["author_id"],
                    body=data["body"],
                    created_at=event.occurred_at,
                    updated_at=event.occurred_at,
                )
            ],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["task", "author", "body", "created_at", "updated_at"],
        )
    elif event.type == ev.TASK_COMMENT_EDITED:
        Comment.objects.filter(pk=data["comment_id"]).update(
            body=data["body"], updated_at=event.occurred_at
        )
    elif event.type == ev.TASK_COMMENT_DELETED:
        Comment.objects.filter(pk=data["comment_id"]).delete()


def _set_labels(task: Task, label_ids: list[int]) -> None:
    # Labels deleted since the event was written are simply absent now.
    task.labels.set(Label.objects.filter(pk__in=label_ids, workspace_id=task.workspace_id))


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
