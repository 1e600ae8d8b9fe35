"""The cached values of each detail entry, rendered exactly as the views render them, so that a
write-through entry and an entry filled by a reader are interchangeable."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef

from caching.stored import from_data
from core.conditional import etag_for_version
from tasks.models import Task
from tasks.serializers import TaskSerializer
from workspaces.models import Label, Project, Workspace
from workspaces.serializers import ProjectSerializer, WorkspaceSerializer

# The one field of a workspace that depends on who reads it: not cached, added per reader.
WORKSPACE_ROLE_FIELD = "role"


def task_entry(data: dict[str, Any]) -> bytes:
    """A task detail entry: its answer's bytes with its version as ETag, and the version and
    workspace a reader checks before sending it (caching/stored.py)."""
    version = data["version"]
    return from_data(
        data, etag=etag_for_version(version), version=version, workspace=data["workspace"]
    ).pack()


def project_entry(data: dict[str, Any]) -> dict[str, Any]:
    return {"data": dict(data)}


def workspace_entry(data: dict[str, Any]) -> dict[str, Any]:
    return {"data": {k: v for k, v in data.items() if k != WORKSPACE_ROLE_FIELD}}


def workspace_with_role(entry: dict[str, Any], role: str) -> dict[str, Any]:
    """The cached workspace with the reader's role, in the serializer's field order."""
    data = entry["data"]
    return {
        name: role if name == WORKSPACE_ROLE_FIELD else data[name]
        for name in WorkspaceSerializer.Meta.fields
    }


def render_task(task_id: int) -> bytes | None:
    task = _task_with_labels(task_id)
    return task_entry(TaskSerializer(task).data) if task is not None else None


def _task_with_labels(task_id: int) -> Task | None:
    """The task with its labels: on PostgreSQL one statement (the label ids as an array column)
    where prefetch_related takes two; the serializer renders labels as ids, so the ids are all
    the prefetch cache needs to hold."""
    if connection.vendor != "postgresql":
        return Task.objects.prefetch_related("labels").filter(pk=task_id).first()
    label_ids = (
        Task.labels.through.objects.filter(task_id=OuterRef("pk"))
        .order_by("label_id")
        .values("label_id")
    )
    task = Task.objects.annotate(label_ids=ArraySubquery(label_ids)).filter(pk=task_id).first()
    if task is None:
        return None
    labels = task.labels.all()  # not evaluated: filled below as prefetch_related fills it
    labels._result_cache = [Label(pk=pk, workspace_id=task.workspace_id) for pk in task.label_ids]
    labels._prefetch_done = True
    task._prefetched_objects_cache = {"labels": labels}
    return task


def render_project(project_id: int) -> dict[str, Any] | None:
    project = Project.objects.filter(pk=project_id).first()
    return project_entry(ProjectSerializer(project).data) if project is not None else None


def render_workspace(workspace_id: int) -> dict[str, Any] | None:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return workspace_entry(WorkspaceSerializer(workspace).data) if workspace is not None else None
