"""Reads of tasks and comments, limited to the workspaces the user belongs to."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from tasks.models import Comment, Task
from workspaces.queries import visible_workspace_ids


def task_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Task]:
    # Labels come in one extra query per page, whatever its size.
    return (
        Task.objects.filter(workspace_id__in=visible_workspace_ids(user))
        .prefetch_related("labels")
        .order_by("-id")
    )


def comment_list(*, user: AbstractBaseUser | AnonymousUser, task_id: int) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(task_id=task_id, task__workspace_id__in=visible_workspace_ids(user))
        .select_related("author", "task")
        .order_by("id")
    )
