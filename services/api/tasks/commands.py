"""Writes on tasks and comments: the only code that changes them.

Each command takes the actor, checks the role through access_*, locks the task row, checks the
expected version when the client sent one (If-Match), applies one change and bumps the version
by one, all in one transaction.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from access.checks import access_can_delete_task, access_require_role
from core.errors import PreconditionFailed
from tasks.models import Comment, Task, TaskPriority, TaskStatus
from workspaces.models import Label, Membership, Project, Role


def _lock(task_id: int, expected_version: int | None) -> Task:
    task = Task.objects.select_for_update().get(pk=task_id)
    if expected_version is not None and task.version != expected_version:
        raise PreconditionFailed(
            f"The task is at version {task.version}, not {expected_version}. Reload it and retry."
        )
    return task


def _check_assignee(workspace_id: int, assignee: User | None) -> None:
    if assignee is None:
        return
    if not Membership.objects.filter(workspace_id=workspace_id, user_id=assignee.pk).exists():
        raise ValidationError(
            {"assignee": [f'Invalid pk "{assignee.pk}" - object does not exist.']}
        )


def _check_labels(workspace_id: int, labels: Iterable[Label]) -> list[Label]:
    labels = list(labels)
    foreign = [label.pk for label in labels if label.workspace_id != workspace_id]
    if foreign:
        raise ValidationError({"labels": [f'Invalid pk "{foreign[0]}" - object does not exist.']})
    return labels


@transaction.atomic
def task_create(
    *,
    actor: User,
    project: Project,
    title: str,
    description: str = "",
    status: str = TaskStatus.TODO,
    priority: int = TaskPriority.MEDIUM,
    assignee: User | None = None,
    labels: Iterable[Label] = (),
    due_date: datetime.date | None = None,
) -> Task:
    access_require_role(actor, project.workspace_id, Role.MEMBER)
    _check_assignee(project.workspace_id, assignee)
    labels = _check_labels(project.workspace_id, labels)
    task = Task.objects.create(
        project=project,
        workspace_id=project.workspace_id,
        title=title,
        description=description,
        status=status,
        priority=priority,
        assignee=assignee,
        due_date=due_date,
        created_by=actor,
    )
    if labels:
        task.labels.set(labels)
    return task


# The PATCH fields each single-purpose change applies, in the order they are applied.
_CHANGES = ("title", "description", "status", "priority", "assignee", "labels", "due_date")


@transaction.atomic
def task_update(
    *,
    actor: User,
    task_id: int,
    expected_version: int | None = None,
    **changes: Any,
) -> Task:
    """Applies a PATCH: every field that really changes bumps the version by one."""
    task = _lock(task_id, expected_version)
    access_require_role(actor, task.workspace_id, Role.MEMBER)
    if "assignee" in changes:
        _check_assignee(task.workspace_id, changes["assignee"])
    if "labels" in changes:
        changes["labels"] = _check_labels(task.workspace_id, changes["labels"])

    applied = 0
    for field in _CHANGES:
        if field not in changes:
            continue
        value = changes[field]
        if field == "labels":
            new_ids = {label.pk for label in value}
            if new_ids != set(task.labels.values_list("pk", flat=True)):
                task.labels.set(value)
                applied += 1
        elif getattr(task, field) != value:
            setattr(task, field, value)
            applied += 1
    if applied:
        task.version += applied
        task.save()
    return task


@transaction.atomic
def task_delete(
    *, actor: User, task_id: int, expected_version: int | None = None
) -> None:
    task = _lock(task_id, expected_version)
    role = access_require_role(actor, task.workspace_id, Role.MEMBER)
    if not access_can_delete_task(actor, role, task):
        raise PermissionDenied("Members delete only the tasks they created.")
    task.delete()


@transaction.atomic
def task_comment(*, actor: User, task: Task, body: str) -> Comment:
    access_require_role(actor, task.workspace_id, Role.MEMBER)
    return Comment.objects.create(task=task, author=actor, body=body)


@transaction.atomic
def comment_edit(*, actor: User, comment: Comment, body: str) -> Comment:
    access_require_role(actor, comment.task.workspace_id, Role.MEMBER)
    if comment.author_id != actor.pk:
        raise PermissionDenied("Only the author may edit a comment.")
    comment.body = body
    comment.save(update_fields=["body", "updated_at"])
    return comment


@transaction.atomic
def comment_delete(*, actor: User, comment: Comment) -> None:
    role = access_require_role(actor, comment.task.workspace_id, Role.VIEWER)
    if comment.author_id != actor.pk and role not in (Role.ADMIN, Role.OWNER):
        raise PermissionDenied("Only the author or a workspace admin may delete a comment.")
    comment.delete()
