"""What tasks do when the workspace side ends their project: the workspaces app appends
ProjectDeleted or WorkspaceDeleted and knows nothing of tasks; these reactions record TaskDeleted
on each task the database cascade is about to remove, in the same transaction
(eventstore/reactions.py), so that history, temporal queries and live updates see the deletion.
"""

from django.contrib.auth.models import User

from eventstore.models import Event
from eventstore.reactions import react_to
from tasks.commands import tasks_delete_with_projects
from workspaces import events as workspace_events
from workspaces.models import Project


@react_to(workspace_events.PROJECT_DELETED)
def project_deleted(event: Event) -> None:
    project_id = workspace_events.project_of_stream(event.stream)
    if project_id is not None:
        tasks_delete_with_projects(actor=_actor(event), project_ids=[project_id])


@react_to(workspace_events.WORKSPACE_DELETED)
def workspace_deleted(event: Event) -> None:
    project_ids = list(
        Project.objects.filter(workspace_id=event.workspace_id).values_list("id", flat=True)
    )
    tasks_delete_with_projects(actor=_actor(event), project_ids=project_ids)


def _actor(event: Event) -> User:
    # The command that appended the event names its actor, whose role it has just checked.
    assert event.actor_id is not None  # noqa: S101 - workspace events always have one  # nosec B101
    return User.objects.get(pk=event.actor_id)
