"""The cached value of a task's detail entry, rendered exactly as the view renders it, so that a
write-through entry and an entry filled by a reader are interchangeable."""

from __future__ import annotations

from typing import Any

from caching.stored import from_data
from core.conditional import etag_for_version
from tasks.models import Task
from tasks.serializers import TaskSerializer


def task_entry(data: dict[str, Any]) -> bytes:
    """A task detail entry: its answer's bytes with its version as ETag, and the version and
    workspace a reader checks before sending it (caching/stored.py)."""
    version = data["version"]
    return from_data(
        data, etag=etag_for_version(version), version=version, workspace=data["workspace"]
    ).pack()


def render_task(task_id: int) -> bytes | None:
    task = Task.objects.prefetch_related("labels").filter(pk=task_id).first()
    return task_entry(TaskSerializer(task).data) if task is not None else None
