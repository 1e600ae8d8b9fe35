"""The task stream's event catalogue (docs/cqrs.md describes each), and the one list of a task's
fields as the log keeps them."""

import datetime
from collections.abc import Iterable
from typing import Any

from eventstore.names import id_in, named
from eventstore.registry import register
from tasks.models import TaskPriority, TaskStatus

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

# TaskCreated's data: who the task is and where it lives, then every field a PATCH changes, then
# its author. The aggregate and the projection read a task from exactly these. (The aggregate's
# state adds what the events' metadata gives: version and times; the API's serializers name the
# relations as the contract does, `project`, `assignee`, `labels`, rather than by their ids.)
CREATED_FIELDS = ("id", "project_id", "workspace_id", *FIELD_EVENTS, "created_by_id")


def created_data(
    *,
    id: int,
    project_id: int,
    workspace_id: int,
    title: str,
    description: str = "",
    status: str = TaskStatus.TODO,
    priority: int = TaskPriority.MEDIUM,
    assignee_id: int | None = None,
    label_ids: Iterable[int] = (),
    due_date: datetime.date | None = None,
    created_by_id: int | None = None,
) -> dict[str, Any]:
    """TaskCreated's data, in the form the log keeps: plain strings and numbers, labels as
    sorted ids, the due date in ISO 8601."""
    return {
        "id": id,
        "project_id": project_id,
        "workspace_id": workspace_id,
        "title": title,
        "description": description,
        "status": str(status),
        "priority": int(priority),
        "assignee_id": assignee_id,
        "label_ids": sorted(label_ids),
        "due_date": due_date.isoformat() if due_date else None,
        "created_by_id": created_by_id,
    }


def task_stream(task_id: int) -> str:
    return named("task-", task_id)


def project_group(project_id: int) -> str:
    """The channel-layer group that live updates of a project's tasks go to."""
    return named("project.", project_id)


def project_of_group(group: str) -> int | None:
    return id_in(group, "project.")
