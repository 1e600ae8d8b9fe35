"""Invalidation of the tasks' cached reads for changes that bypass the task commands (admin
edits, bulk tools, data fixes, factories): a task saved or deleted, its labels changed, a label
or a user deleted under it. caching/signals.py explains the batching and the stand-down inside
commands; connected in TasksConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from caching import store
from caching.invalidation import after_write
from caching.signals import invalidate, receiving
from tasks.cache_keys import task_generations
from tasks.models import Task
from workspaces.models import Label
from workspaces.write_through import label_deleting_by_command


def _tasks(rows: QuerySet[Task]) -> list[str]:
    generations: list[str] = []
    for task_id, project_id, workspace_id in rows.values_list("id", "project_id", "workspace_id"):
        generations += task_generations(
            task_id=task_id, project_id=project_id, workspace_id=workspace_id
        )
    return generations


def task_changed(sender: Any, instance: Task, **kwargs: Any) -> None:
    invalidate(
        task_generations(
            task_id=instance.pk, project_id=instance.project_id, workspace_id=instance.workspace_id
        )
    )


def task_labels_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if not receiving():
        return
    if not reverse:
        if action.startswith("post_"):
            task_changed(sender, instance)
        return
    # From the label's side: the tasks are in pk_set, except for clear(), which does not say.
    if action == "pre_clear":
        instance._caching_cleared_tasks = list(instance.tasks.values_list("pk", flat=True))
    elif action == "post_clear":
        cleared = getattr(instance, "_caching_cleared_tasks", [])
        invalidate(_tasks(Task.objects.filter(pk__in=cleared)))
    elif action in ("post_add", "post_remove"):
        invalidate(_tasks(Task.objects.filter(pk__in=pk_set or [])))


def label_deleting(sender: Any, instance: Label, **kwargs: Any) -> None:
    """The cascade unlinks the label from its tasks without a signal per task."""
    if not receiving():
        return
    invalidate(_tasks(Task.objects.filter(labels=instance.pk)))


def label_deleting_in_command(sender: Any, label_id: int, **kwargs: Any) -> None:
    """The label command's explicit invalidation (workspaces/write_through.py sends it): the
    tasks carrying the label lose it without an event of their own."""
    if not store.uses_redis():
        return
    after_write(_tasks(Task.objects.filter(labels=label_id)))


def user_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Deleting a user empties `assignee` and `created_by` of their tasks (SET NULL), in SQL."""
    if not receiving():
        return
    invalidate(
        _tasks(Task.objects.filter(Q(assignee_id=instance.pk) | Q(created_by_id=instance.pk)))
    )


def connect() -> None:
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(task_changed, sender=Task, dispatch_uid=f"caching-task-{name}")
    m2m_changed.connect(
        task_labels_changed, sender=Task.labels.through, dispatch_uid="caching-task-labels"
    )
    pre_delete.connect(label_deleting, sender=Label, dispatch_uid="caching-label-deleting")
    pre_delete.connect(user_deleting, sender=get_user_model(), dispatch_uid="caching-user-deleting")
    label_deleting_by_command.connect(
        label_deleting_in_command, sender=Label, dispatch_uid="caching-label-deleting-command"
    )
