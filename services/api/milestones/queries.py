"""Reads of milestones, limited to the workspaces the user belongs to."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from milestones.models import Milestone
from workspaces.models import Project
from workspaces.queries import visible_workspace_ids


def milestone_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Milestone]:
    """Every milestone the user may see, soonest due first."""
    return Milestone.objects.filter(project__workspace_id__in=visible_workspace_ids(user)).order_by(
        "due_date", "id"
    )


def visible_projects(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Project]:
    """The projects a milestone may be created in, as far as visibility goes (the command checks
    the role)."""
    return Project.objects.filter(workspace_id__in=visible_workspace_ids(user))
