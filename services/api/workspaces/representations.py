"""The cached values of the project and workspace detail entries, rendered exactly as the views
render them, so that a write-through entry and an entry filled by a reader are interchangeable."""

from __future__ import annotations

from typing import Any

from workspaces.models import Project, Workspace
from workspaces.serializers import ProjectSerializer, WorkspaceSerializer

# The one field of a workspace that depends on who reads it: not cached, added per reader.
WORKSPACE_ROLE_FIELD = "role"


def is_entry(value: Any) -> bool:
    """A project's or workspace's entry as these functions build it; anything else found in the
    cache (an older release's shape, a foreign value) is recomputed, never answered."""
    return isinstance(value, dict) and isinstance(value.get("data"), dict)


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


def render_project(project_id: int) -> dict[str, Any] | None:
    project = Project.objects.filter(pk=project_id).first()
    return project_entry(ProjectSerializer(project).data) if project is not None else None


def render_workspace(workspace_id: int) -> dict[str, Any] | None:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return workspace_entry(WorkspaceSerializer(workspace).data) if workspace is not None else None
