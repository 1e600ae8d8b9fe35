"""The milestone events: appended with every change, in the command's transaction, for the audit
trail and for live updates (docs/cqrs.md lists the data of each).

Stream `milestone-<id>`; group `project.<project id>`, the group a WebSocket subscription to the
project follows (realtime/consumers.py), so subscribers get milestone events with the tasks'.
"""

from typing import Any

from django.contrib.auth.models import User

from eventstore.registry import register
from eventstore.store import NewEvent, append_next
from milestones.models import Milestone

MILESTONE_CREATED = register("MilestoneCreated")
MILESTONE_UPDATED = register("MilestoneUpdated")
MILESTONE_DELETED = register("MilestoneDeleted")


def milestone_stream(milestone_id: int) -> str:
    return f"milestone-{milestone_id}"


def project_group(project_id: int) -> str:
    return f"project.{project_id}"


def record(*, actor: User, milestone: Milestone, event_type: str, data: dict[str, Any]) -> None:
    """Appends one event to the milestone's stream, with the outbox row that publishes it to the
    project's subscribers once the caller's transaction has committed."""
    append_next(
        stream=milestone_stream(milestone.pk),
        event=NewEvent(event_type, data),
        workspace_id=milestone.project.workspace_id,
        actor_id=actor.pk,
        group=project_group(milestone.project_id),
    )
