"""Reads of workspaces, memberships, projects and labels, limited to what the user may see."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery

from eventstore.models import Event
from workspaces.access import access_require_role
from workspaces.models import Label, Membership, Project, Role, Workspace


def visible_workspace_ids(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Membership, Any]:
    """A subquery of the ids of the workspaces the user belongs to."""
    return Membership.objects.filter(user_id=user.pk or 0).values("workspace_id")


def membership_roles(*, user: AbstractBaseUser | AnonymousUser) -> dict[int, str]:
    """The user's role in each workspace they belong to, by workspace id (one index-only query).

    Cached reads check visibility against this (cached with the user, accounts/principals.py)
    and key their entries by it, so no cached answer outlives a membership change."""
    return dict(Membership.objects.filter(user_id=user.pk or 0).values_list("workspace_id", "role"))


def workspace_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Workspace]:
    """The user's workspaces, each annotated with the user's role in it (`my_role`)."""
    role = Membership.objects.filter(workspace_id=OuterRef("pk"), user_id=user.pk or 0).values(
        "role"
    )
    return (
        Workspace.objects.filter(pk__in=visible_workspace_ids(user))
        .annotate(my_role=Subquery(role[:1]))
        .order_by("-id")
    )


def membership_list(
    *, user: AbstractBaseUser | AnonymousUser, workspace_id: int
) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            workspace_id=workspace_id, workspace_id__in=visible_workspace_ids(user)
        )
        .select_related("user")
        .order_by("id")
    )


def project_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Project]:
    return Project.objects.filter(workspace_id__in=visible_workspace_ids(user)).order_by("-id")


def label_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Label]:
    return Label.objects.filter(workspace_id__in=visible_workspace_ids(user)).order_by("name", "id")


def workspace_audit(
    *, user: AbstractBaseUser | AnonymousUser, workspace_id: int
) -> QuerySet[Event]:
    """Every event of the workspace, newest first; for its owners and admins."""
    access_require_role(user, workspace_id, Role.ADMIN)
    return Event.objects.filter(workspace_id=workspace_id).order_by("-id")
