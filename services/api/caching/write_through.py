"""Write-through: the calls commands make when they change what a cached read shows.

Each call moves the generations of the lists the change appears in and, after the commit,
renders the changed entity from PostgreSQL into its detail entry, so that the next read is a hit
that already shows the write. The writer's own next read can never see the state before its
write: its request returns only after the on-commit rewrite ran.

`command_writes()` marks a command's extent: the signal receivers (signals.py), which exist for
changes that bypass the commands, stand down inside it, because the command invalidates
explicitly and knows more precisely what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from caching import keys, store
from caching.invalidation import (
    Rewrite,
    after_write,
    project_generations,
    task_generations,
    workspace_generations,
)
from tasks import representations

_in_command: ContextVar[bool] = ContextVar("caching_in_command", default=False)


@contextmanager
def command_writes() -> Iterator[None]:
    """Usable as a decorator too: `@command_writes()`."""
    token = _in_command.set(True)
    try:
        yield
    finally:
        _in_command.reset(token)


def in_command() -> bool:
    return _in_command.get()


def principal_written(*, user_id: int) -> None:
    """After the user row or one of the user's memberships changed (signals.py sends it for every
    save and delete; callers of QuerySet.update() on either table call it themselves)."""
    after_write([keys.user_generation_key(user_id)])


def task_written(*, task_id: int, project_id: int, workspace_id: int) -> None:
    """After events of a task were projected (created, changed, commented, deleted)."""
    after_write(
        task_generations(task_id=task_id, project_id=project_id, workspace_id=workspace_id),
        Rewrite(
            cache="task_detail",
            base=keys.task_detail_key(task_id),
            generation=keys.task_generation_key(task_id),
            render=partial(representations.render_task, task_id),
        ),
    )


def workspace_written(*, workspace_id: int) -> None:
    """After a workspace was created or its fields changed."""
    after_write(
        workspace_generations(workspace_id=workspace_id),
        Rewrite(
            cache="workspace_detail",
            base=keys.workspace_detail_key(workspace_id),
            generation=keys.workspace_generation_key(workspace_id),
            render=partial(representations.render_workspace, workspace_id),
        ),
    )


def workspace_deleted(*, workspace_id: int, project_ids: Iterable[int]) -> None:
    """Before the cascade deletes the workspace's projects (their tasks were deleted by
    commands, which invalidated them)."""
    project_ids = list(project_ids)
    after_write(
        [
            *workspace_generations(workspace_id=workspace_id),
            keys.workspace_projects_generation_key(workspace_id),
            keys.workspace_tasks_generation_key(workspace_id),
            *(keys.project_generation_key(p) for p in project_ids),
            *(keys.project_tasks_generation_key(p) for p in project_ids),
        ]
    )


def project_written(*, project_id: int, workspace_id: int) -> None:
    """After a project was created or its fields changed."""
    after_write(
        project_generations(project_id=project_id, workspace_ids=[workspace_id]),
        Rewrite(
            cache="project_detail",
            base=keys.project_detail_key(project_id),
            generation=keys.project_generation_key(project_id),
            render=partial(representations.render_project, project_id),
        ),
    )


def project_deleted(*, project_id: int, workspace_id: int) -> None:
    after_write(
        [
            *project_generations(project_id=project_id, workspace_ids=[workspace_id]),
            keys.project_tasks_generation_key(project_id),
        ]
    )


def label_deleting(*, label_id: int) -> None:
    """Before a label is deleted: the tasks carrying it lose it without an event of their own
    (the database cascade removes the link), so their entries are invalidated here."""
    from tasks.models import Task

    if not store.uses_redis():
        return
    generations: list[str] = []
    for task_id, project_id, workspace_id in Task.objects.filter(labels=label_id).values_list(
        "id", "project_id", "workspace_id"
    ):
        generations += task_generations(
            task_id=task_id, project_id=project_id, workspace_id=workspace_id
        )
    after_write(generations)
