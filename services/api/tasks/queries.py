"""Reads of tasks and comments, limited to the workspaces the user belongs to."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from core.errors import Gone
from eventstore.models import Event
from tasks.aggregate import TaskState, load_as_of
from tasks.events import task_stream
from tasks.models import Comment, Task
from workspaces.access import access_role
from workspaces.models import Membership
from workspaces.queries import visible_workspace_ids


def task_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Task]:
    # Labels come in one extra query per page, whatever its size.
    return (
        Task.objects.filter(workspace_id__in=visible_workspace_ids(user))
        .prefetch_related("labels")
        .order_by("-id")
    )


def task_version(*, user: AbstractBaseUser | AnonymousUser, task_id: int) -> int:
    """The version (the ETag) of a task the user may see; 404 otherwise. One query, and nothing
    rendered, which is what lets a conditional GET answer 304 cheaply.

    Every cached task detail asks it, so it is written as the SQL the ORM would build for
    `Task.objects.filter(pk=..., workspace_id__in=visible_workspace_ids(user))`: building and
    compiling that queryset cost more CPU than PostgreSQL spends answering it."""
    with connection.cursor() as cursor:
        cursor.execute(
            _TASK_VERSION_SQL.format(
                task=Task._meta.db_table, membership=Membership._meta.db_table
            ),
            [task_id, user.pk or 0],
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such task.")
    return int(row[0])


_TASK_VERSION_SQL = (
    "SELECT version FROM {task} WHERE id = %s"
    " AND workspace_id IN (SELECT workspace_id FROM {membership} WHERE user_id = %s) LIMIT 1"
)


def comment_list(*, user: AbstractBaseUser | AnonymousUser, task_id: int) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(task_id=task_id, task__workspace_id__in=visible_workspace_ids(user))
        .select_related("author", "task")
        .order_by("id")
    )


def _visible_stream_workspace(user: AbstractBaseUser | AnonymousUser, task_id: int) -> None:
    """404 unless the task's stream exists and belongs to one of the user's workspaces."""
    workspace_id = (
        Event.objects.filter(stream=task_stream(task_id))
        .order_by("version")
        .values_list("workspace_id", flat=True)
        .first()
    )
    if workspace_id is None or access_role(user, workspace_id) is None:
        raise Http404("No such task.")


def task_history(*, user: AbstractBaseUser | AnonymousUser, task_id: int) -> QuerySet[Event]:
    """The task's events, oldest first; also for deleted tasks."""
    _visible_stream_workspace(user, task_id)
    return Event.objects.filter(stream=task_stream(task_id)).order_by("version")


def task_as_of(
    *, user: AbstractBaseUser | AnonymousUser, task_id: int, instant: datetime
) -> TaskState:
    """The task as it was at `instant`: 404 before it existed, 410 once it was deleted."""
    _visible_stream_workspace(user, task_id)
    state = load_as_of(task_id, instant)
    if state is None:
        raise Http404("The task did not exist at that time.")
    if state.deleted:
        raise Gone("The task had been deleted by that time.")
    return state


def visible_task_row(*, user: AbstractBaseUser | AnonymousUser, task_id: int) -> Task:
    """The task's row, labels not loaded, if the user may see it; 404 otherwise. A write's
    visibility check: like task_version, the SQL the ORM would build for
    `task_list(user).prefetch_related(None).get(pk=...)`, whose queryset cost a command more CPU
    to build and compile than PostgreSQL spends answering it. Other databases take the ORM."""
    if not 0 < task_id <= _MAX_BIGINT:  # no task has it; PostgreSQL would refuse the number
        raise Http404("No such task.")
    if connection.vendor != "postgresql":
        queryset = task_list(user=user).prefetch_related(None)
        task = queryset.filter(pk=task_id).first()
        if task is None:
            raise Http404("No such task.")
        return task
    with connection.cursor() as cursor:
        cursor.execute(
            _VISIBLE_TASK_SQL.format(
                columns=", ".join(_TASK_COLUMNS),
                task=Task._meta.db_table,
                membership=Membership._meta.db_table,
            ),
            [task_id, user.pk or 0],
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such task.")
    # psycopg returns every column of a task as the model holds it: no converters to apply.
    return Task.from_db(connection.alias, _TASK_COLUMNS, row)


_MAX_BIGINT = 2**63 - 1
_TASK_COLUMNS = [field.attname for field in Task._meta.concrete_fields]
_VISIBLE_TASK_SQL = (
    "SELECT {columns} FROM {task} WHERE id = %s"  # nosec B608
    " AND workspace_id IN (SELECT workspace_id FROM {membership} WHERE user_id = %s)"
)
