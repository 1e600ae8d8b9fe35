"""Write-through of workspaces and projects: what their commands call when they change what a
cached read shows (caching/write_through.py explains the pattern; `command_writes` marks their
extent)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.dispatch import Signal

from caching.invalidation import Rewrite, after_write
from caching.write_through import command_writes as command_writes
from workspaces import representations
from workspaces.cache_keys import (
    project_detail_key,
    project_generation_key,
    project_generations,
    project_tasks_generation_key,
    workspace_detail_key,
    workspace_generation_key,
    workspace_generations,
    workspace_projects_generation_key,
    workspace_tasks_generation_key,
)
from workspaces.models import Label

# Sent with `label_id` before a label is deleted by a command. Tasks carry labels: the tasks app
# receives it to invalidate the tasks that lose the label (tasks/receivers.py), which this app
# cannot name without importing tasks.
label_deleting_by_command = Signal()


def workspace_written(*, workspace_id: int) -> None:
    """After a workspace was created or its fields changed."""
    after_write(
        workspace_generations(workspace_id=workspace_id),
        Rewrite(
            cache="workspace_detail",
            base=workspace_detail_key(workspace_id),
            generation=workspace_generation_key(workspace_id),
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
            workspace_projects_generation_key(workspace_id),
            workspace_tasks_generation_key(workspace_id),
            *(project_generation_key(p) for p in project_ids),
            *(project_tasks_generation_key(p) for p in project_ids),
        ]
    )


def project_written(*, project_id: int, workspace_id: int) -> None:
    """After a project was created or its fields changed."""
    after_write(
        project_generations(project_id=project_id, workspace_ids=[workspace_id]),
        Rewrite(
            cache="project_detail",
            base=project_detail_key(project_id),
            generation=project_generation_key(project_id),
            render=partial(representations.render_project, project_id),
        ),
    )


def project_deleted(*, project_id: int, workspace_id: int) -> None:
    after_write(
        [
            *project_generations(project_id=project_id, workspace_ids=[workspace_id]),
            project_tasks_generation_key(project_id),
        ]
    )


def label_deleting(*, label_id: int) -> None:
    """Before a label is deleted: the tasks carrying it lose it without an event of their own
    (the database cascade removes the link), so their entries are invalidated by the tasks app."""
    label_deleting_by_command.send(sender=Label, label_id=label_id)
