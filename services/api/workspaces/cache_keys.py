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


PROJECT_LIST_PREFIX = "projects:list:"


def project_list_key(
    *, visible_workspaces: Iterable[int], query: Sequence[tuple[str, list[str]]], url: str
) -> str:
    """Keyed like the task list: the reader's visibility digest, then the query's. The
    one-round-trip read builds the same key inside Redis from the cached principal's digest
    (caching/round_trip.py)."""
    visibility = keys.visibility_digest(visible_workspaces)
    return f"{PROJECT_LIST_PREFIX}{visibility}{project_list_key_tail(query=query, url=url)}"


def project_list_key_tail(*, query: Sequence[tuple[str, list[str]]], url: str) -> str:
    return f":{keys.digest('projects', query, url)}"


WORKSPACE_LIST_PREFIX = "workspaces:list:"
# The cached principal's field holding `roles_digest` of the user's roles (accounts/principals.py),
# from which the one-round-trip read builds the workspace list's key inside Redis.
PRINCIPAL_ROLES_FIELD = "roles_digest"
# The cached principal's field holding the user's role in each workspace ({"<id>": role}), from
# which a workspace detail hit takes the reader's role (workspaces/cached_hits.py).
PRINCIPAL_ROLE_MAP_FIELD = "roles"


def roles_digest(roles: Mapping[int, str]) -> str:
    """Names a reader's roles: readers with the same role in the same workspaces share a
    workspace list (each workspace in it shows the reader's role)."""
    return keys.digest("roles", sorted(roles.items()))[:24]


def workspace_list_key(
    *, roles: Mapping[int, str], query: Sequence[tuple[str, list[str]]], url: str
) -> str:
    tail = workspace_list_key_tail(query=query, url=url)
    return f"{WORKSPACE_LIST_PREFIX}{roles_digest(roles)}{tail}"


def workspace_list_key_tail(*, query: Sequence[tuple[str, list[str]]], url: str) -> str:
    return f":{keys.digest('workspaces', query, url)}"


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


WORKSPACE_PROJECTS_GENERATION_PREFIX = "gen:workspace-projects:"


def workspace_projects_generation_key(workspace_id: int) -> str:
    """Moves whenever a project of the workspace is created, changed or deleted."""
    return f"{WORKSPACE_PROJECTS_GENERATION_PREFIX}{workspace_id}"


WORKSPACE_GENERATION_PREFIX = "gen:workspace:"


def workspace_generation_key(workspace_id: int) -> str:
    """Moves whenever the workspace's own fields change (its detail and every workspace list
    that shows it)."""
    return f"{WORKSPACE_GENERATION_PREFIX}{workspace_id}"


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
keys.register_family("project_list", f"{PROJECT_LIST_PREFIX}*")
keys.register_family("workspace_detail", "workspace:*")
keys.register_family("workspace_list", f"{WORKSPACE_LIST_PREFIX}*")
