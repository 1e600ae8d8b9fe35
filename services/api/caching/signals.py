"""Invalidation for changes that bypass the commands: admin edits, bulk tools, data fixes, test
factories. Commands invalidate explicitly (write_through.py) and these receivers stand down
inside them. No business rule lives here: a receiver only names what a change invalidates.

The generations are collected per transaction and moved once after its commit, so that a bulk
change of many rows costs one Redis round trip, not one per row.

QuerySet.update() and raw SQL send no signals: a tool that changes cached tables that way must
call caching.invalidation / write_through itself or run `manage.py cache_clear` afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from caching import generations as gens
from caching import keys, store
from caching.invalidation import project_generations, task_generations, workspace_generations
from caching.write_through import in_command, principal_written
from tasks.models import Task
from workspaces.models import Label, Membership, Project, Workspace

# Past this many generations in one transaction (a rebuild of the read models, a mass import)
# moving the epoch is cheaper than moving each one, and invalidates at least as much.
BATCH_LIMIT = 1000


class _Batch:
    def __init__(self) -> None:
        self.generations: set[str] = set()
        self.everything = False

    def add(self, generations: Iterable[str]) -> None:
        if self.everything:
            return
        self.generations.update(generations)
        if len(self.generations) > BATCH_LIMIT:
            self.everything = True
            self.generations.clear()

    def flush(self) -> None:
        if self.everything:
            gens.move_or_remember([keys.epoch_key()])
        elif self.generations:
            gens.move_or_remember(sorted(self.generations))


_local = threading.local()


def _invalidate(generations: Iterable[str]) -> None:
    if in_command() or not store.uses_redis():
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        gens.move_or_remember(list(generations))
        return
    batch: _Batch | None = getattr(_local, "batch", None)
    # A batch belongs to the transaction whose on-commit list still holds its flush; after a
    # commit or a rollback that list no longer does, and the next change starts a new batch.
    if batch is None or not any(entry[1] == batch.flush for entry in connection.run_on_commit):
        batch = _Batch()
        _local.batch = batch
        transaction.on_commit(batch.flush, robust=True)
    batch.add(generations)


def _tasks(rows: QuerySet[Task]) -> list[str]:
    generations: list[str] = []
    for task_id, project_id, workspace_id in rows.values_list("id", "project_id", "workspace_id"):
        generations += task_generations(
            task_id=task_id, project_id=project_id, workspace_id=workspace_id
        )
    return generations


def task_changed(sender: Any, instance: Task, **kwargs: Any) -> None:
    _invalidate(
        task_generations(
            task_id=instance.pk, project_id=instance.project_id, workspace_id=instance.workspace_id
        )
    )


def task_labels_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if in_command() or not store.uses_redis():
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
        _invalidate(_tasks(Task.objects.filter(pk__in=cleared)))
    elif action in ("post_add", "post_remove"):
        _invalidate(_tasks(Task.objects.filter(pk__in=pk_set or [])))


def project_saving(sender: Any, instance: Project, **kwargs: Any) -> None:
    """Remembers the workspace a project is moved away from (admin only; the API cannot)."""
    if in_command() or not store.uses_redis() or instance.pk is None:
        return
    instance._caching_previous_workspace_id = (  # type: ignore[attr-defined]
        Project.objects.filter(pk=instance.pk).values_list("workspace_id", flat=True).first()
    )


def project_changed(sender: Any, instance: Project, **kwargs: Any) -> None:
    workspaces = {instance.workspace_id}
    previous = getattr(instance, "_caching_previous_workspace_id", None)
    if previous is not None:
        workspaces.add(previous)
    _invalidate(project_generations(project_id=instance.pk, workspace_ids=workspaces))


def workspace_changed(sender: Any, instance: Workspace, **kwargs: Any) -> None:
    _invalidate(workspace_generations(workspace_id=instance.pk))


def label_deleting(sender: Any, instance: Label, **kwargs: Any) -> None:
    """The cascade unlinks the label from its tasks without a signal per task."""
    if in_command() or not store.uses_redis():
        return
    _invalidate(_tasks(Task.objects.filter(labels=instance.pk)))


def user_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Deleting a user empties `assignee` and `created_by` of their tasks (SET NULL), in SQL."""
    if in_command() or not store.uses_redis():
        return
    _invalidate(
        _tasks(Task.objects.filter(Q(assignee_id=instance.pk) | Q(created_by_id=instance.pk)))
    )


def principal_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A user row or a membership was saved or deleted: the user's cached principal. Unlike the
    receivers above this one runs inside commands too: the commands leave principals to it."""
    user_id = instance.user_id if isinstance(instance, Membership) else instance.pk
    if user_id is not None:
        principal_written(user_id=user_id)


def connect() -> None:
    labels = Task.labels.through
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(task_changed, sender=Task, dispatch_uid=f"caching-task-{name}")
        signal.connect(project_changed, sender=Project, dispatch_uid=f"caching-project-{name}")
        signal.connect(
            workspace_changed, sender=Workspace, dispatch_uid=f"caching-workspace-{name}"
        )
        for model in (get_user_model(), Membership):
            signal.connect(
                principal_changed,
                sender=model,
                dispatch_uid=f"caching-principal-{model.__name__}-{name}",
            )
    m2m_changed.connect(task_labels_changed, sender=labels, dispatch_uid="caching-task-labels")
    pre_save.connect(project_saving, sender=Project, dispatch_uid="caching-project-moving")
    pre_delete.connect(label_deleting, sender=Label, dispatch_uid="caching-label-deleting")
    pre_delete.connect(user_deleting, sender=get_user_model(), dispatch_uid="caching-user-deleting")
