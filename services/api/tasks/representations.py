"""The cached values of each detail entry, rendered exactly as the views render them, so that a
write-through entry and an entry filled by a reader are interchangeable."""

from __future__ import annotations

from typing import Any

from caching.stored import from_data
from core.conditional import etag_for_version
from tasks.models import Task
from tasks.serializers import TaskSerializer
from workspaces.models import Project, Workspace
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
    task = Task.objects.prefetch_related("labels").filter(pk=task_id).first()
    return task_entry(TaskSerializer(task).data) if task is not None else None


def render_project(project_id: int) -> dict[str, Any] | None:
    project = Project.objects.filter(pk=project_id).first()
    return project_entry(ProjectSerializer(project).data) if project is not None else None


def render_workspace(workspace_id: int) -> dict[str, Any] | None:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return workspace_entry(WorkspaceSerializer(workspace).data) if workspace is not None else None
