"""Who may subscribe to what: the REST API's visibility rules, asked from the socket.

A project's events go to whoever may read the project through the REST API: every member of its
workspace, whatever the role. Outsiders get the same `forbidden` whether the project exists or not.
"""

from typing import Any

from channels.db import database_sync_to_async

from workspaces.models import Project
from workspaces.queries import project_list


def _workspace_of(project_id: int) -> int | None:
    return Project.objects.filter(pk=project_id).values_list("workspace_id", flat=True).first()


def _can_read_project(user: Any, project_id: int) -> bool:
    return project_list(user=user).filter(pk=project_id).exists()


workspace_of = database_sync_to_async(_workspace_of, thread_sensitive=False)
can_read_project = database_sync_to_async(_can_read_project, thread_sensitive=False)
