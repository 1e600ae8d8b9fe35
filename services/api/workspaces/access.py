"""The access rules of the workspace roles, as small functions that commands and permissions call.

Visibility and permission are different answers: someone outside a workspace must not learn
that its objects exist (404), while a viewer who tries to write is told no (403).
"""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from workspaces.models import Membership, Role

User = AbstractBaseUser | AnonymousUser

_RANK = {Role.VIEWER: 1, Role.MEMBER: 2, Role.ADMIN: 3, Role.OWNER: 4}


def access_role(user: User, workspace_id: int) -> Role | None:
    """The user's role in the workspace, or None when they are not a member."""
    if not user.is_authenticated:
        return None
    role = (
        Membership.objects.filter(user_id=user.pk, workspace_id=workspace_id)
        .values_list("role", flat=True)
        .first()
    )
    return Role(role) if role else None


def access_role_at_least(role: Role | None, minimum: Role) -> bool:
    return role is not None and _RANK[role] >= _RANK[minimum]


def access_require_role(user: User, workspace_id: int, minimum: Role) -> Role:
    """The user's role, if at least `minimum`; 404 for outsiders, 403 for too low a role."""
    return access_require(access_role(user, workspace_id), minimum)


def access_require(role: Role | None, minimum: Role) -> Role:
    """access_require_role for a role already read (None: not a member)."""
    if role is None:
        raise Http404
    if not access_role_at_least(role, minimum):
        raise PermissionDenied(f"This action needs the {minimum.label.lower()} role or higher.")
    return role


def access_can_grant(actor_role: Role, target_role: Role) -> bool:
    """Admins grant up to admin; only owners grant or take away ownership."""
    if target_role == Role.OWNER:
        return actor_role == Role.OWNER
    return access_role_at_least(actor_role, Role.ADMIN)


def access_owner_id(obj: Any) -> int | None:
    """The id of the user who owns an object: its author or creator, or for a membership the
    member themselves. Workspaces are owned through the owner role instead (see below)."""
    for attribute in ("author_id", "created_by_id", "user_id"):
        if hasattr(obj, attribute):
            return getattr(obj, attribute)
    return None


def access_is_owner(user: User, obj: Any) -> bool:
    if not user.is_authenticated:
        return False
    from workspaces.models import Workspace

    if isinstance(obj, Workspace):
        return access_role(user, obj.pk) == Role.OWNER
    owner_id = access_owner_id(obj)
    return owner_id is not None and owner_id == user.pk


def access_workspace_id(obj: Any) -> int | None:
    from workspaces.models import Workspace

    if isinstance(obj, Workspace):
        return obj.pk
    if hasattr(obj, "workspace_id"):
        return obj.workspace_id
    task = getattr(obj, "task", None)
    return task.workspace_id if task is not None else None


def access_is_workspace_admin(user: User, obj: Any) -> bool:
    workspace_id = access_workspace_id(obj)
    if workspace_id is None:
        return False
    return access_role_at_least(access_role(user, workspace_id), Role.ADMIN)


def access_can_delete_task(user: User, role: Role, task: Any) -> bool:
    """Admins delete any task; members delete the tasks they created."""
    if access_role_at_least(role, Role.ADMIN):
        return True
    return access_role_at_least(role, Role.MEMBER) and task.created_by_id == user.pk
