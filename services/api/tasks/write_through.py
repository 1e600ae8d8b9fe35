"""Write-through of tasks: what the task commands call when they change what a cached read
shows (caching/write_through.py explains the pattern; `command_writes` marks their extent)."""

from __future__ import annotations

from functools import partial

from caching.invalidation import Rewrite, after_write
from caching.write_through import command_writes as command_writes
from tasks import representations
from tasks.cache_keys import task_detail_key, task_generation_key, task_generations


def task_written(*, task_id: int, project_id: int, workspace_id: int) -> None:
    """After events of a task were projected (created, changed, commented, deleted)."""
    after_write(
        task_generations(task_id=task_id, project_id=project_id, workspace_id=workspace_id),
        Rewrite(
            cache="task_detail",
            base=task_detail_key(task_id),
            generation=task_generation_key(task_id),
            render=partial(representations.render_task, task_id),
        ),
    )
