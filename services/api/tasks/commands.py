"""Commands on tasks and comments: the only way either changes.

Each command, in one transaction: checks the role (access_*), loads the aggregate (snapshot plus
later events), checks the version the client expects (If-Match), decides its events, appends
them after the version it loaded (a concurrent writer makes that fail with 409), applies them
to the read models and writes their outbox rows.
"""

import datetime
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from core.errors import PreconditionFailed
from eventstore.ids import allocate_id
from eventstore.store import NewEvent, append
from tasks import aggregate, write_through
from tasks import events as ev
from tasks.aggregate import TaskState
from tasks.models import Comment, Task, TaskPriority, TaskStatus
from tasks.projection import project
from workspaces.access import access_can_delete_task, access_require, access_require_role
from workspaces.models import Label, Membership, Project, Role


def _state(task_id: int) -> TaskState:
    state = aggregate.load(task_id)
    if state is None or state.deleted:
        raise Http404("No such task.")
    return state


class _Checked(NamedTuple):
    state: TaskState
    role: Role
    drawn_id: int | None


def _load(
    task_id: int,
    *,
    actor: User,
    minimum: Role,
    draw_comment_id: bool = False,
) -> _Checked:
    """The task's state and the actor's role in its workspace, read together in the command's
    transaction: 404 for no task and for outsiders, 403 for a role under `minimum`."""
    loaded = aggregate.load_for_command(task_id, actor=actor, draw_comment_id=draw_comment_id)
    if loaded.state is None or loaded.state.deleted:
        raise Http404("No such task.")
    return _Checked(loaded.state, access_require(loaded.role, minimum), loaded.drawn_id)


def _check_version(state: TaskState, expected_version: int | None) -> None:
    if expected_version is not None and state.version != expected_version:
        raise PreconditionFailed(
            f"The task is at version {state.version}, not {expected_version}. Reload it and retry."
        )


def _commit(
    *,
    actor: User,
    state: TaskState | None,
    stream_state: TaskState,
    new: list[NewEvent],
    projected: list[Task] | None = None,
) -> TaskState:
    """Appends the events, projects them, and snapshots when due. Returns the new state;
    `projected` receives the task row as the projection left it."""
    previous_version = state.version if state else 0
    records = append(
        stream=ev.task_stream(stream_state.id),
        expected_version=previous_version,
        events=new,
        workspace_id=stream_state.workspace_id,
        actor_id=actor.pk,
        group=ev.project_group(stream_state.project_id),
        # A conflict ends the command (409): no savepoint to roll back to is needed.
        savepoint=False,
    )
    current = state
    with write_through.command_writes():
        for record in records:
            task = project(record)
            if task is not None and projected is not None:
                projected[:] = [task]
            current = aggregate.apply(current, record)
    assert current is not None  # noqa: S101 - at least one event was appended  # nosec B101
    write_through.task_written(
        task_id=stream_state.id,
        project_id=stream_state.project_id,
        workspace_id=stream_state.workspace_id,
    )
    aggregate.snapshot_if_due(previous_version, current)
    return current


def _check_assignee(workspace_id: int, assignee_id: int | None) -> None:
    if assignee_id is None:
        return
    if not Membership.objects.filter(workspace_id=workspace_id, user_id=assignee_id).exists():
        raise ValidationError(
            {"assignee": [f'Invalid pk "{assignee_id}" - object does not exist.']}
        )


def _label_ids(workspace_id: int, labels: Iterable[Label]) -> list[int]:
    labels = list(labels)
    foreign = [label.pk for label in labels if label.workspace_id != workspace_id]
    if foreign:
        raise ValidationError({"labels": [f'Invalid pk "{foreign[0]}" - object does not exist.']})
    return sorted({label.pk for label in labels})


@transaction.atomic
def task_create(
    *,
    actor: User,
    project: Project,
    title: str,
    description: str = "",
    status: str = TaskStatus.TODO,
    priority: int = TaskPriority.MEDIUM,
    assignee: User | None = None,
    labels: Iterable[Label] = (),
    due_date: datetime.date | None = None,
) -> Task:
    access_require_role(actor, project.workspace_id, Role.MEMBER)
    assignee_id = assignee.pk if assignee else None
    _check_assignee(project.workspace_id, assignee_id)
    data = ev.created_data(
        id=allocate_id(Task),
        project_id=project.pk,
        workspace_id=project.workspace_id,
        title=title,
        description=description,
        status=status,
        priority=priority,
        assignee_id=assignee_id,
        label_ids=_label_ids(project.workspace_id, labels),
        due_date=due_date,
        created_by_id=actor.pk,
    )
    stream_state = TaskState(
        id=data["id"], project_id=project.pk, workspace_id=project.workspace_id
    )
    _commit(
        actor=actor, state=None, stream_state=stream_state, new=[NewEvent(ev.TASK_CREATED, data)]
    )
    return Task.objects.get(pk=data["id"])


def _changes_as_events(state: TaskState, changes: dict[str, Any]) -> list[NewEvent]:
    """One event per field whose value really changes, in the catalogue's order."""
    wanted: dict[str, Any] = {}
    if "title" in changes:
        wanted["title"] = changes["title"]
    if "description" in changes:
        wanted["description"] = changes["description"]
    if "status" in changes:
        wanted["status"] = str(changes["status"])
    if "priority" in changes:
        wanted["priority"] = int(changes["priority"])
    if "assignee" in changes:
        wanted["assignee_id"] = changes["assignee"].pk if changes["assignee"] else None
        _check_assignee(state.workspace_id, wanted["assignee_id"])
    if "labels" in changes:
        wanted["label_ids"] = _label_ids(state.workspace_id, changes["labels"])
    if "due_date" in changes:
        wanted["due_date"] = changes["due_date"].isoformat() if changes["due_date"] else None

    new = []
    for field, event_type in ev.FIELD_EVENTS.items():
        if field in wanted and wanted[field] != getattr(state, field):
            new.append(
                NewEvent(
                    event_type, {field: wanted[field], f"previous_{field}": getattr(state, field)}
                )
            )
    return new


@transaction.atomic
def task_update(
    *, actor: User, task_id: int, expected_version: int | None = None, **changes: Any
) -> Task:
    """Applies a PATCH: every field that really changes is one event and one version."""
    state = _load(task_id, actor=actor, minimum=Role.MEMBER).state
    _check_version(state, expected_version)
    new = _changes_as_events(state, changes)
    projected: list[Task] = []
    if new:
        _commit(actor=actor, state=state, stream_state=state, new=new, projected=projected)
    # The row the projection saved, rather than reading it back.
    return projected[0] if projected else Task.objects.get(pk=task_id)


@transaction.atomic
def task_delete(*, actor: User, task_id: int, expected_version: int | None = None) -> None:
    state, role, _ = _load(task_id, actor=actor, minimum=Role.MEMBER)
    if not access_can_delete_task(actor, role, Task(created_by_id=state.created_by_id)):
        raise PermissionDenied("Members delete only the tasks they created.")
    _check_version(state, expected_version)
    _commit(actor=actor, state=state, stream_state=state, new=[NewEvent(ev.TASK_DELETED, {})])


@transaction.atomic
def task_comment(*, actor: User, task: Task, body: str) -> Comment:
    state, _, comment_id = _load(task.pk, actor=actor, minimum=Role.MEMBER, draw_comment_id=True)
    assert comment_id is not None  # noqa: S101 - drawn because asked for  # nosec B101
    data = {"comment_id": comment_id, "author_id": actor.pk, "body": body}
    projected: list[Task] = []
    _commit(
        actor=actor,
        state=state,
        stream_state=state,
        new=[NewEvent(ev.TASK_COMMENTED, data)],
        projected=projected,
    )
    if not projected:
        return Comment.objects.select_related("author").get(pk=comment_id)
    # The projection wrote the row from these values and the event's time (the task's
    # updated_at); the author is the actor. Reading it back would be one more query.
    task_row = projected[0]
    return Comment(
        pk=comment_id,
        task=task_row,
        author=actor,
        body=body,
        created_at=task_row.updated_at,
        updated_at=task_row.updated_at,
    )


@transaction.atomic
def comment_edit(*, actor: User, comment: Comment, body: str) -> Comment:
    state = _load(comment.task_id, actor=actor, minimum=Role.MEMBER).state
    if comment.author_id != actor.pk:
        raise PermissionDenied("Only the author may edit a comment.")
    if body != comment.body:
        data = {"comment_id": comment.pk, "body": body}
        _commit(
            actor=actor,
            state=state,
            stream_state=state,
            new=[NewEvent(ev.TASK_COMMENT_EDITED, data)],
        )
    return Comment.objects.select_related("author").get(pk=comment.pk)


@transaction.atomic
def comment_delete(*, actor: User, comment: Comment) -> None:
    # Authors delete their own comments while they may still write (member or above);
    # admins and owners delete any.
    state, role, _ = _load(comment.task_id, actor=actor, minimum=Role.MEMBER)
    if comment.author_id != actor.pk and role not in (Role.ADMIN, Role.OWNER):
        raise PermissionDenied("Only the author or a workspace admin may delete a comment.")
    data = {"comment_id": comment.pk}
    _commit(
        actor=actor, state=state, stream_state=state, new=[NewEvent(ev.TASK_COMMENT_DELETED, data)]
    )


def tasks_delete_with_projects(*, actor: User, project_ids: list[int]) -> int:
    """Records TaskDeleted on every task of projects about to be deleted, so that history,
    temporal queries and live updates see the deletion the database cascade performs.
    Called by tasks/reactions.py on ProjectDeleted and WorkspaceDeleted, whose command has
    already checked the actor's role."""
    task_ids = list(
        Task.objects.filter(project_id__in=project_ids).order_by("id").values_list("id", flat=True)
    )
    for task_id in task_ids:
        state = _state(task_id)
        _commit(actor=actor, state=state, stream_state=state, new=[NewEvent(ev.TASK_DELETED, {})])
    return len(task_ids)
