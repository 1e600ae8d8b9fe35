"""The cache keys of the workspaces app: its entries, the generations its writes move, and the
generations of what a project or a workspace contains (the tasks app's lists hang on those, and
a workspace's deletion moves them without knowing tasks). Built as caching/keys.py explains."""

from collections.abc import Iterable, Mapping, Sequence

from caching import keys

# --- entries ---------------------------------------------------------------------------------


def project_detail_key(project_id: int) -> str:
    return f"project:{project_id}"


def workspace_detail_key(workspace_id: int) -> str:
    """The workspace without the reader's role, which is added from the reader's membership."""
    return f"workspace:{workspace_id}"


def project_list_key(
    *, visible_workspaces: Iterable[int], query: Sequence[tuple[str, list[str]]], url: str
) -> str:
    return f"projects:list:{keys.digest('projects', sorted(visible_workspaces), query, url)}"


def workspace_list_key(
    *, roles: Mapping[int, str], query: Sequence[tuple[str, list[str]]], url: str
) -> str:
    return f"workspaces:list:{keys.digest('workspaces', sorted(roles.items()), query, url)}"


# --- generations -----------------------------------------------------------------------------


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


def workspace_generation_key(workspace_id: int) -> str:
    """Moves whenever the workspace's own fields change (its detail and every workspace list
    that shows it)."""
    return f"gen:workspace:{workspace_id}"


def project_generations(*, project_id: int, workspace_ids: Iterable[int]) -> list[str]:
    """A project's detail and the project lists of its workspace(s)."""
    return [
        project_generation_key(project_id),
        *(workspace_projects_generation_key(w) for w in workspace_ids),
    ]


def workspace_generations(*, workspace_id: int) -> list[str]:
    """A workspace's detail and every workspace list that shows it."""
    return [workspace_generation_key(workspace_id)]


# --- families, for operators (manage.py cache_clear --delete) ---------------------------------

keys.register_family("project_detail", "project:*")
keys.register_family("project_list", "projects:list:*")
keys.register_family("workspace_detail", "workspace:*")
keys.register_family("workspace_list", "workspaces:list:*")
