"""Reads of the event log: a workspace's audit trail."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from eventstore.models import Event
from workspaces.access import access_require_role
from workspaces.models import Role


def workspace_audit(
    *, user: AbstractBaseUser | AnonymousUser, workspace_id: int
) -> QuerySet[Event]:
    """Every event of the workspace, newest first; for its owners and admins."""
    access_require_role(user, workspace_id, Role.ADMIN)
    return Event.objects.filter(workspace_id=workspace_id).order_by("-id")
