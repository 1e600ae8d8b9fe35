"""Every cache key of the platform, each from one named function (docs/caching.md lists them).

Keys of the read cache are relative: the Django cache adds CACHE_KEY_PREFIX and CACHE_VERSION
(`taskboard:1:task:42`). A cached entry is stored under its base key plus a digest of the current
tokens of the generations it depends on (`task:42@<sha1>`), so invalidating is moving a
generation to a new random token: the old entries become unreachable and expire on their own.

What affects an answer is part of its key: list keys hold the user's visible workspaces (and, for
the workspace list, the user's role in each), the normalised query string and the absolute URL
the pagination links are built from. Two users with the same memberships share entries, because
their answers are the same; users with different memberships never do.

The write-behind buffers are raw Redis keys with the prefix but without the version: moving
CACHE_VERSION to drop the read cache must not orphan buffered writes.
"""

import hashlib
from collections.abc import Iterable, Mapping, Sequence

from django.conf import settings

# Moves when the shape of a cached value changes, so a deploy never reads the old shape.
SCHEMA = "2"

# --- entries ---------------------------------------------------------------------------------


def task_detail_key(task_id: int) -> str:
    return f"task:{task_id}"


def project_detail_key(project_id: int) -> str:
    return f"project:{project_id}"


def workspace_detail_key(workspace_id: int) -> str:
    """The workspace without the reader's role, which is added from the reader's membership."""
    return f"workspace:{workspace_id}"


TASK_LIST_PREFIX = "tasks:list:"


def task_list_key(
    *, visible_workspaces: Iterable[int], query: Sequence[tuple[str, list[str]]], url: str
) -> str:
    return task_list_key_for(visibility_digest(visible_workspaces), query=query, url=url)


def task_list_key_for(visibility: str, *, query: Sequence[tuple[str, list[str]]], url: str) -> str:
    """The task list key from the reader's visibility digest: the one-round-trip read builds it
    inside Redis from the cached principal's digest (caching/round_trip.py)."""
    return f"{TASK_LIST_PREFIX}{visibility}{task_list_key_tail(query=query, url=url)}"


def task_list_key_tail(*, query: Sequence[tuple[str, list[str]]], url: str) -> str:
    return f":{_digest('tasks', query, url)}"


def visibility_digest(workspace_ids: Iterable[int]) -> str:
    """Names the set of workspaces a reader sees; readers with the same set share list entries."""
    return _digest("visible", sorted(workspace_ids))[:24]


def project_list_key(
    *, visible_workspaces: Iterable[int], query: Sequence[tuple[str, list[str]]], url: str
) -> str:
    return f"projects:list:{_digest('projects', sorted(visible_workspaces), query, url)}"


def workspace_list_key(
    *, roles: Mapping[int, str], query: Sequence[tuple[str, list[str]]], url: str
) -> str:
    return f"workspaces:list:{_digest('workspaces', sorted(roles.items()), query, url)}"


def principal_key(user_id: int) -> str:
    """The user row (without the password hash) and the user's role in each workspace."""
    return f"principal:{user_id}"


def normalised_query(lists: Iterable[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """The query string as sorted (name, values) pairs. Values keep their order (the last one
    wins for a single-valued filter) and nothing is dropped: `?cursor=` with an empty value
    selects another pagination than no cursor at all."""
    return sorted((name, list(values)) for name, values in lists)


# --- generations -----------------------------------------------------------------------------


def epoch_key() -> str:
    """The generation every entry depends on: moving it empties the whole read cache at once
    (manage.py cache_clear, or a process that could not reach Redis to invalidate)."""
    return "gen:epoch"


def task_generation_key(task_id: int) -> str:
    return f"gen:task:{task_id}"


def project_tasks_generation_key(project_id: int) -> str:
    """Moves whenever a task of the project is created, changed or deleted."""
    return f"gen:project-tasks:{project_id}"


WORKSPACE_TASKS_GENERATION_PREFIX = "gen:workspace-tasks:"


def workspace_tasks_generation_key(workspace_id: int) -> str:
    """Moves whenever a task of the workspace is created, changed or deleted."""
    return f"{WORKSPACE_TASKS_GENERATION_PREFIX}{workspace_id}"


def project_generation_key(project_id: int) -> str:
    return f"gen:project:{project_id}"


def workspace_projects_generation_key(workspace_id: int) -> str:
    """Moves whenever a project of the workspace is created, changed or deleted."""
    return f"gen:workspace-projects:{workspace_id}"


def user_generation_key(user_id: int) -> str:
    """Moves whenever the user row or one of the user's memberships changes."""
    return f"gen:user:{user_id}"


def workspace_generation_key(workspace_id: int) -> str:
    """Moves whenever the workspace's own fields change (its detail and every workspace list
    that shows it)."""
    return f"gen:workspace:{workspace_id}"


# --- stampede protection ---------------------------------------------------------------------


def lock_key(entry_key: str) -> str:
    return f"lock:{entry_key}"


# --- write-behind (raw Redis keys: prefix, no version) ---------------------------------------


def task_views_buffer_key() -> str:
    """A hash of `n:<task id>` (views since the last flush) and `t:<task id>` (last view, ms)."""
    return f"{settings.CACHE_KEY_PREFIX}:writebehind:task-views"


def task_views_flushing_key() -> str:
    """The buffer renamed away by the flusher while it writes it to PostgreSQL."""
    return f"{settings.CACHE_KEY_PREFIX}:writebehind:task-views:flushing"


def task_views_flushing_batch_key() -> str:
    """The id of the batch in the flushing key, recorded with every chunk written to PostgreSQL
    so that a flusher that died after committing never applies the same chunk twice."""
    return f"{settings.CACHE_KEY_PREFIX}:writebehind:task-views:flushing:batch"


# --- families, for operators (manage.py cache_clear --delete) ---------------------------------

FAMILIES = {
    "task_detail": "task:*",
    "task_list": "tasks:list:*",
    "project_detail": "project:*",
    "project_list": "projects:list:*",
    "workspace_detail": "workspace:*",
    "workspace_list": "workspaces:list:*",
    "generations": "gen:*",
    "locks": "lock:*",
}


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr((SCHEMA, *parts)).encode()).hexdigest()[:40]
