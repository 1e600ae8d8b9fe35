"""The cache keys of the tasks app: its entries, the generations its writes move, and the
write-behind buffer of task views. Built as caching/keys.py explains; the task lists of a
project or workspace hang on generations the workspaces app names (workspaces/cache_keys.py)."""

from collections.abc import Iterable, Sequence

from caching import keys
from workspaces.cache_keys import project_tasks_generation_key, workspace_tasks_generation_key

# --- entries ---------------------------------------------------------------------------------


def task_detail_key(task_id: int) -> str:
    return f"task:{task_id}"


TASK_LIST_PREFIX = "tasks:list:"


def task_list_key(
    *, visible_workspaces: Iterable[int], query: Sequence[tuple[str, list[str]]], url: str
) -> str:
    return task_list_key_for(keys.visibility_digest(visible_workspaces), query=query, url=url)


def task_list_key_for(visibility: str, *, query: Sequence[tuple[str, list[str]]], url: str) -> str:
    """The task list key from the reader's visibility digest: the one-round-trip read builds it
    inside Redis from the cached principal's digest (caching/round_trip.py)."""
    return f"{TASK_LIST_PREFIX}{visibility}{task_list_key_tail(query=query, url=url)}"


def task_list_key_tail(*, query: Sequence[tuple[str, list[str]]], url: str) -> str:
    return f":{keys.digest('tasks', query, url)}"


# --- generations -----------------------------------------------------------------------------


def task_generation_key(task_id: int) -> str:
    return f"gen:task:{task_id}"


def task_generations(*, task_id: int, project_id: int, workspace_id: int) -> list[str]:
    """A task's detail, the task lists of its project and of its workspace."""
    return [
        task_generation_key(task_id),
        project_tasks_generation_key(project_id),
        workspace_tasks_generation_key(workspace_id),
    ]


# --- write-behind (raw Redis keys: prefix, no version) ---------------------------------------

TASK_VIEWS = "task-views"


def task_views_buffer_key() -> str:
    """A hash of `n:<task id>` (views since the last flush) and `t:<task id>` (last view, ms)."""
    return keys.writebehind_buffer_key(TASK_VIEWS)


def task_views_flushing_key() -> str:
    return keys.writebehind_flushing_key(TASK_VIEWS)


def task_views_flushing_batch_key() -> str:
    return keys.writebehind_flushing_batch_key(TASK_VIEWS)


# --- families, for operators (manage.py cache_clear --delete) ---------------------------------

keys.register_family("task_detail", "task:*")
keys.register_family("task_list", "tasks:list:*")
