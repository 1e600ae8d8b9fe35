"""The cached values of the project and workspace detail entries, rendered exactly as the views
render them, so that a write-through entry and an entry filled by a reader are interchangeable.

Both are stored answers (caching/stored.py), so that a hit writes bytes and renders nothing:
- a project's entry is its answer, with the workspace a reader must belong to (`workspace`);
- a workspace's answer depends on its reader, through one field, the reader's role: its entry is
  the answer without that field and the offset where it goes (`role_at`); `with_role` puts the
  reader's role there, byte for byte what the serializer would render for that reader.
"""

from __future__ import annotations

from typing import Any

import orjson

from caching.stored import StoredResponse, etag_for_body, from_data, render
from workspaces.models import Project, Workspace
from workspaces.serializers import ProjectSerializer, WorkspaceSerializer

# The one field of a workspace that depends on who reads it: not cached, added per reader.
WORKSPACE_ROLE_FIELD = "role"
# What the shape of a workspace entry keeps in its metadata: where the role goes.
_ROLE_AT = "role_at"
# What goes before the reader's role in an answer: the field's separator and key.
_ROLE_KEY = b",%b:" % orjson.dumps(WORKSPACE_ROLE_FIELD)


def project_entry(data: dict[str, Any]) -> bytes:
    return from_data(data, workspace=data["workspace"]).pack()


def is_project_entry(raw: Any) -> bool:
    """A project's entry as `project_entry` builds it; anything else found in the cache (an
    older release's shape, a foreign or corrupt value) is recomputed, never answered."""
    stored = StoredResponse.unpack(raw)
    return stored is not None and isinstance(stored.meta.get("workspace"), int)


def workspace_entry(data: dict[str, Any]) -> bytes:
    """The workspace's answer without the reader's role, and where the role goes: after the
    fields the serializer renders before it (JSON objects keep their order)."""
    fields = WorkspaceSerializer.Meta.fields
    at = fields.index(WORKSPACE_ROLE_FIELD)
    before = render({name: data[name] for name in fields[:at]})
    body = render({name: data[name] for name in fields if name != WORKSPACE_ROLE_FIELD})
    # `before` is `body` cut after its last field and closed: the role goes where it closes.
    role_at = len(before) - 1
    # The ETag of an answer names its bytes, role included (`with_role`); this one names the
    # shared part only and is never sent.
    return StoredResponse(etag=etag_for_body(body), body=body, meta={_ROLE_AT: role_at}).pack()


def is_workspace_entry(raw: Any) -> bool:
    """A workspace's entry as `workspace_entry` builds it; anything else is recomputed."""
    return _role_at(StoredResponse.unpack(raw)) is not None


def with_role(stored: StoredResponse | None, role: str) -> StoredResponse | None:
    """The workspace's answer for a reader of `role`, or None for an entry of another shape.

    Written here rather than rendered: a hit renders nothing. The bytes are the renderer's
    (orjson's compact JSON) with `,"role":"<role>"` put in: services/api/tests/caching/
    test_detail_entries.py compares them with what the serializer and DRF's renderer make."""
    role_at = _role_at(stored)
    if stored is None or role_at is None:
        return None
    body = b"".join((stored.body[:role_at], _ROLE_KEY, orjson.dumps(role), stored.body[role_at:]))
    return StoredResponse(etag=etag_for_body(body), body=body)


def _role_at(stored: StoredResponse | None) -> int | None:
    role_at = stored.meta.get(_ROLE_AT) if stored is not None else None
    if stored is None or not isinstance(role_at, int) or not 0 < role_at < len(stored.body):
        return None
    return role_at


def render_project(project_id: int) -> bytes | None:
    project = Project.objects.filter(pk=project_id).first()
    return project_entry(ProjectSerializer(project).data) if project is not None else None


def render_workspace(workspace_id: int) -> bytes | None:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return workspace_entry(WorkspaceSerializer(workspace).data) if workspace is not None else None
