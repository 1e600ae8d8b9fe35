"""Data-subject requests: export everything the platform holds about a user, and erase it.

Erasure pseudonymises rather than deletes the user row: events and read models keep referring
to the same user id (so the event store stays whole and read models rebuilt from it stay equal),
but nothing left links that id to a person. docs/operations.md explains what is erased, what is
kept and why.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import sessions
from accounts.models import Profile
from eventstore.erasure import ERASED, erase_personal_data
from eventstore.models import Event
from tasks import events as task_events
from tasks.models import Comment, Task
from workspaces import commands as workspace_commands
from workspaces.models import Membership, Role

# Keys of event data that hold a user id.
USER_ID_KEYS = ("assignee_id", "author_id", "user_id", "new_owner_id", "created_by_id")
# Keys of event data that hold free text.
TEXT_KEYS = ("title", "previous_title", "description", "previous_description", "name", "body")


def events_about(user: User) -> QuerySet[Event]:
    """Events the user caused, and events whose data names the user."""
    refers = Q(actor_id=user.pk)
    for key in USER_ID_KEYS:
        refers |= Q(**{f"data__{key}": user.pk})
    return Event.objects.filter(refers).order_by("id")


def _event(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "stream": event.stream,
        "version": event.version,
        "type": event.type,
        "data": event.data,
        "workspace_id": event.workspace_id,
        "actor_id": event.actor_id,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "occurred_at": event.occurred_at,
    }


def _task(task: Task) -> dict[str, Any]:
    # Its own list, not tasks.events.CREATED_FIELDS: the export is a versioned document format
    # (priority by name, no labels) that must not change shape when a task gains a field.
    return {
        "id": task.pk,
        "workspace_id": task.workspace_id,
        "project_id": task.project_id,
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.get_priority_display(),
        "due_date": task.due_date,
        "assignee_id": task.assignee_id,
        "created_by_id": task.created_by_id,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


def user_export(*, user: User) -> dict[str, Any]:
    """Everything held about the user, as one JSON-serialisable document (datetimes and dates
    are left to the caller's encoder)."""
    profile = Profile.objects.filter(user=user).first()
    return {
        "format": "taskboard-user-export/1",
        "exported_at": timezone.now(),
        "user": {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "is_active": user.is_active,
        },
        "profile": (
            {
                "display_name": profile.display_name,
                "bio": profile.bio,
                "timezone": profile.timezone,
                "created_at": profile.created_at,
                "updated_at": profile.updated_at,
            }
            if profile
            else None
        ),
        "memberships": [
            {
                "workspace_id": m.workspace_id,
                "workspace": m.workspace.name,
                "role": m.role,
                "joined_at": m.created_at,
            }
            for m in Membership.objects.filter(user=user).select_related("workspace").order_by("id")
        ],
        "tasks_created": [_task(t) for t in Task.objects.filter(created_by=user).order_by("id")],
        "tasks_assigned": [_task(t) for t in Task.objects.filter(assignee=user).order_by("id")],
        "comments": [
            {
                "id": c.pk,
                "task_id": c.task_id,
                "body": c.body,
                "created_at": c.created_at,
                "updated_at": c.updated_at,
            }
            for c in Comment.objects.filter(author=user).order_by("id")
        ],
        "events": [_event(e) for e in events_about(user)],
    }


@dataclass(frozen=True)
class Erasure:
    username: str
    memberships_left: int
    workspaces_deleted: int
    events_erased: int
    comments_erased: int
    tokens_deleted: int


def _sole_owner_of_shared_workspaces(user: User) -> list[int]:
    blocking = []
    for membership in Membership.objects.filter(user=user, role=Role.OWNER):
        others = Membership.objects.filter(workspace_id=membership.workspace_id).exclude(user=user)
        if others.exists() and not others.filter(role=Role.OWNER).exists():
            blocking.append(membership.workspace_id)
    return blocking


def _erase_events(user: User, deleted_workspaces: list[int]) -> int:
    """The user's addresses and user agents on every event they caused; the text of every
    comment they wrote (TaskCommented names its author; only authors edit their comments); and
    every text of the workspaces that were the user's alone."""
    comments = Event.objects.filter(
        Q(type=task_events.TASK_COMMENTED, data__author_id=user.pk)
        | Q(type=task_events.TASK_COMMENT_EDITED, actor_id=user.pk)
    ).values_list("id", flat=True)
    texts: dict[int, tuple[str, ...]] = dict.fromkeys(comments, ("body",))
    own = Event.objects.filter(workspace_id__in=deleted_workspaces).values_list("id", flat=True)
    texts.update(dict.fromkeys(own, TEXT_KEYS))
    mine = Event.objects.filter(actor_id=user.pk).values_list("id", flat=True)
    return erase_personal_data(event_ids=[*mine, *texts], data_fields=texts)


@transaction.atomic
def user_erase(*, user: User) -> Erasure:
    """Erases the user's personal data, all or nothing. Refused while the user is the only owner
    of a workspace that has other members (ownership must be transferred first)."""
    blocking = _sole_owner_of_shared_workspaces(user)
    if blocking:
        raise ValidationError(
            f"{user.username} is the only owner of workspace(s) {blocking} that have other "
            "members: transfer the ownership first."
        )
    username = user.username
    left = 0
    deleted: list[int] = []
    for membership in Membership.objects.filter(user=user).select_related("workspace"):
        if Membership.objects.filter(workspace_id=membership.workspace_id).count() == 1:
            # The user's own workspace: it goes, as when its owner deletes it.
            deleted.append(membership.workspace_id)
            workspace_commands.workspace_delete(actor=user, workspace=membership.workspace)
        else:
            workspace_commands.member_remove(actor=user, membership=membership)
            left += 1
    events_erased = _erase_events(user, deleted)
    comments_erased = Comment.objects.filter(author=user).update(body=ERASED)
    tokens_deleted, _ = OutstandingToken.objects.filter(user=user).delete()
    Profile.objects.filter(user=user).update(display_name="", bio="", timezone="UTC")
    user.username = f"erased-{user.pk}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.set_unusable_password()
    setattr(user, sessions.HANDLED_ATTRIBUTE, True)
    user.save()
    sessions.sessions_end(user_id=user.pk, reason=sessions.REASON_ERASED)
    return Erasure(
        username=username,
        memberships_left=left,
        workspaces_deleted=len(deleted),
        events_erased=events_erased,
        comments_erased=comments_erased,
        tokens_deleted=tokens_deleted,
    )
