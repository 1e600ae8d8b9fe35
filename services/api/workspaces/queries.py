"""Reads of workspaces, memberships, projects and labels, limited to what the user may see."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from eventstore.models import Event
from workspaces.access import access_require_role
from workspaces.models import Invitation, Label, Membership, Project, Role, Workspace


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


def shares_a_workspace(*, user: AbstractBaseUser | AnonymousUser, other_user_id: int) -> bool:
    """Whether the other user is a member of a workspace the user belongs to: then the user
    already sees their name in a member list, and adding them reveals nothing new. One indexed
    query whether or not an account has that id."""
    return Membership.objects.filter(
        user_id=other_user_id, workspace_id__in=visible_workspace_ids(user)
    ).exists()


def invitation_list(*, workspace_id: int) -> QuerySet[Invitation]:
    """The workspace's open invitations, for its managers: the ids they typed, never names."""
    return Invitation.objects.filter(
        workspace_id=workspace_id, expires_at__gt=timezone.now()
    ).order_by("id")


def invitations_received(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Invitation]:
    """The user's open invitations. One made before the account existed is not theirs: the
    inviter typed an id nobody had then, and must not reach whoever registers under it later."""
    joined = getattr(user, "date_joined", None)
    if joined is None:
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(
            invitee_id=user.pk or 0, expires_at__gt=timezone.now(), invited_at__gte=joined
        )
        .select_related("workspace", "invited_by")
        .order_by("id")
    )
