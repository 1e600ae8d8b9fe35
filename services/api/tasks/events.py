"""The task stream's event catalogue (docs/cqrs.md describes each)."""

from eventstore.names import id_in, named
from eventstore.registry import register

TASK_CREATED = register("TaskCreated")
TASK_RENAMED = register("TaskRenamed")
TASK_DESCRIBED = register("TaskDescribed")
TASK_STATUS_CHANGED = register("TaskStatusChanged")
TASK_PRIORITIZED = register("TaskPrioritized")
TASK_ASSIGNED = register("TaskAssigned")
TASK_LABELLED = register("TaskLabelled")
TASK_RESCHEDULED = register("TaskRescheduled")
TASK_COMMENTED = register("TaskCommented")
TASK_COMMENT_EDITED = register("TaskCommentEdited")
TASK_COMMENT_DELETED = register("TaskCommentDeleted")
TASK_DELETED = register("TaskDeleted")

# A PATCH field and the event that records its change, in the order a PATCH applies them.
FIELD_EVENTS = {
    "title": TASK_RENAMED,
    "description": TASK_DESCRIBED,
    "status": TASK_STATUS_CHANGED,
    "priority": TASK_PRIORITIZED,
    "assignee_id": TASK_ASSIGNED,
    "label_ids": TASK_LABELLED,
    "due_date": TASK_RESCHEDULED,
}


def task_stream(task_id: int) -> str:
    return named("task-", task_id)


def project_group(project_id: int) -> str:
    """The channel-layer group that live updates of a project's tasks go to."""
    return named("project.", project_id)


def project_of_group(group: str) -> int | None:
    return id_in(group, "project.")
