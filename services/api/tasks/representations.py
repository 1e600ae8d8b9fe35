"""The cached value of a task's detail entry, rendered exactly as the view renders it, so that a
write-through entry and an entry filled by a reader are interchangeable."""

from __future__ import annotations

from typing import Any

from django.db import connection

from caching.stored import from_data
from core.conditional import etag_for_version
from tasks.models import Task
from tasks.serializers import TaskSerializer
from workspaces.models import Label


def task_entry(data: dict[str, Any]) -> bytes:
    """A task detail entry: its answer's bytes with its version as ETag, and the version and
    workspace a reader checks before sending it (caching/stored.py)."""
    version = data["version"]
    return from_data(
        data, etag=etag_for_version(version), version=version, workspace=data["workspace"]
    ).pack()


def render_task(task_id: int) -> bytes | None:
    task = _task_with_labels(task_id)
    return task_entry(TaskSerializer(task).data) if task is not None else None


def _task_with_labels(task_id: int) -> Task | None:
    """The task with its labels: on PostgreSQL one statement (the label ids as an array column)
    where prefetch_related takes two, written as SQL because building the ORM's subquery
    annotation per command cost more CPU than the statement it saves. The serializer renders
    labels as ids, so the ids are all the prefetch cache needs to hold."""
    if connection.vendor != "postgresql":
        return Task.objects.prefetch_related("labels").filter(pk=task_id).first()
    with connection.cursor() as cursor:
        cursor.execute(_TASK_WITH_LABEL_IDS_SQL, [task_id])
        row = cursor.fetchone()
    if row is None:
        return None
    # psycopg returns every column of a task as the model holds it: no converters to apply.
    task = Task.from_db(connection.alias, _TASK_COLUMNS, row[:-1])
    labels = task.labels.all()  # not evaluated: filled below as prefetch_related fills it
    labels._result_cache = [Label(pk=pk, workspace_id=task.workspace_id) for pk in row[-1]]
    # Django's own prefetch cache, as prefetch_related_objects leaves it (private attributes).
    labels._prefetch_done = True  # type: ignore[attr-defined]
    task._prefetched_objects_cache = {"labels": labels}  # type: ignore[attr-defined]
    return task


_TASK_COLUMNS = [field.attname for field in Task._meta.concrete_fields]
_LABELS = Task.labels.through._meta
# Names from the models' metadata, quoted as PostgreSQL (its only user) quotes them; the id is a
# parameter.
_SELECTED = ", ".join('task."%s"' % column for column in _TASK_COLUMNS)  # noqa: UP031
_TASK_WITH_LABEL_IDS_SQL = (
    f"SELECT {_SELECTED}, "  # noqa: S608  # nosec B608
    f'ARRAY(SELECT link."label_id" FROM "{_LABELS.db_table}" link '
    'WHERE link."task_id" = task."id" ORDER BY link."label_id") '
    f'FROM "{Task._meta.db_table}" task WHERE task."id" = %s'
)
