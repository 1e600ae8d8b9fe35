"""Events of workspaces, memberships, projects and labels.

These objects are stored as plain rows (their history is rarely replayed), but every change is
also appended to the event store so that the audit trail and live updates see it.
"""

from typing import Any

from django.contrib.auth.models import User

from eventstore.names import id_in, named
from eventstore.registry import register
from eventstore.store import NewEvent, append_next

WORKSPACE_CREATED = register("WorkspaceCreated")
WORKSPACE_UPDATED = register("WorkspaceUpdated")
WORKSPACE_DELETED = register("WorkspaceDeleted")
WORKSPACE_TRANSFERRED = register("WorkspaceTransferred")
MEMBER_ADDED = register("MemberAdded")
MEMBER_ROLE_CHANGED = register("MemberRoleChanged")
MEMBER_REMOVED = register("MemberRemoved")
PROJECT_CREATED = register("ProjectCreated")
PROJECT_UPDATED = register("ProjectUpdated")
PROJECT_DELETED = register("ProjectDeleted")
LABEL_CREATED = register("LabelCreated")
LABEL_UPDATED = register("LabelUpdated")
LABEL_DELETED = register("LabelDeleted")
INVITATION_CREATED = register("InvitationCreated")
INVITATION_ACCEPTED = register("InvitationAccepted")
INVITATION_DECLINED = register("InvitationDeclined")
INVITATION_REVOKED = register("InvitationRevoked")


def workspace_group(workspace_id: int) -> str:
    """The channel-layer group that live updates of the workspace and its projects go to."""
    return named("workspace.", workspace_id)


def workspace_of_group(group: str) -> int | None:
    return id_in(group, "workspace.")


def project_stream(project_id: int) -> str:
    return named("project-", project_id)


def project_of_stream(stream: str) -> int | None:
    return id_in(stream, "project-")


def invitation_group(workspace_id: int) -> str:
    """A group no socket follows: invitation events name user ids that the workspace's members
    (viewers included) must not learn, so they reach the audit trail (owners and admins) only."""
    return f"invitations.{workspace_id}"


def record(
    *,
    actor: User,
    workspace_id: int,
    stream: str,
    event_type: str,
    data: dict[str, Any],
    group: str | None = None,
) -> None:
    append_next(
        stream=stream,
        event=NewEvent(event_type, data),
        workspace_id=workspace_id,
        actor_id=actor.pk,
        group=group or workspace_group(workspace_id),
    )
