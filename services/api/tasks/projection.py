"""The task read models (Task, its labels, Comment), maintained from the task events.

Idempotent: each Task row records the version of the last event applied to it, and an event at
or below that version is skipped, so replaying a stream (a rebuild, a retried batch) changes
nothing twice. Timestamps come from the events, so a rebuild reproduces them exactly.
"""

from datetime import date

from django.db import connection

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
    task_id = event.data.get("id") or _task_id(event)
    if event.type == ev.TASK_DELETED:
        task = Task.objects.filter(pk=task_id).first()
        if task is None or task.version >= event.version:
            return None
        task.delete()
        return None
    task = _update_row(task_id, event)
    if task is None:
        return None
    for name, value in event.data.items():
        if name == "label_ids":
            _set_labels(task, value)
    _apply_comment(task, event)
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


_ROW_COLUMNS = [field.attname for field in Task._meta.concrete_fields]
_FIELDS = {field.attname: field for field in Task._meta.concrete_fields}


def _update_row(task_id: int, event: Event) -> Task | None:
    """Writes the event's fields, version and time into the task's row and returns the row as
    written: one UPDATE ... RETURNING, where a SELECT and an UPDATE of every column were two
    statements. None when the row is gone or already at or past the event (a replay)."""
    changes = {
        name: _date(value) if name == "due_date" else value
        for name, value in event.data.items()
        if name in _CHANGED_ROW_FIELDS
    }
    changes["version"] = event.version
    changes["updated_at"] = event.occurred_at
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column)} = %s" for column in changes)
    # Table and column names come from the model's metadata, never from input.
    sql = (
        f"UPDATE {quote(Task._meta.db_table)} SET {assignments} "  # noqa: S608  # nosec B608
        f"WHERE {quote('id')} = %s AND {quote('version')} < %s "
        f"RETURNING {', '.join(quote(column) for column in _ROW_COLUMNS)}"
    )
    # Each value prepared as the ORM prepares it (SQLite keeps datetimes as naive UTC text).
    params = [_FIELDS[column].get_db_prep_save(v, connection) for column, v in changes.items()]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, task_id, event.version])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, field in enumerate(Task._meta.concrete_fields):
        column = field.get_col(Task._meta.db_table)
        for converter in connection.ops.get_db_converters(column) + column.get_db_converters(
            connection
        ):
            values[index] = converter(values[index], column, connection)
    return Task.from_db(connection.alias, _ROW_COLUMNS, values)


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
