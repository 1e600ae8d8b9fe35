"""What a task's history shows of comments that were deleted.

The events keep a deleted comment's body (TaskCommented, TaskCommentEdited): the audit trail
and temporal queries are built from them. A member who was in the workspace while the comment
existed could read it then, and reads it in the history too; a member who joined after it was
deleted never could, so for them its body is replaced by REDACTED.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eventstore.models import Event
from tasks import events as ev
from workspaces.models import Membership

REDACTED = "[deleted]"
_WITH_BODY = (ev.TASK_COMMENTED, ev.TASK_COMMENT_EDITED)


def redact_deleted_comments(events: Sequence[Event], *, user: Any) -> list[Event]:
    """The events as `user` may read them (two small queries, only when comments are involved)."""
    with_body = [e for e in events if e.type in _WITH_BODY]
    if not with_body:
        return list(events)
    deleted_at = _deleted_comments(with_body[0].stream)
    if not deleted_at:
        return list(events)
    since = _member_since(user, with_body[0].workspace_id)
    for event in with_body:
        gone = deleted_at.get(event.data.get("comment_id"))
        if gone is not None and (since is None or since >= gone):
            event.data = {**event.data, "body": REDACTED}  # this response only; never saved
    return list(events)


def _deleted_comments(stream: str) -> dict[Any, datetime]:
    return dict(
        Event.objects.filter(stream=stream, type=ev.TASK_COMMENT_DELETED).values_list(
            "data__comment_id", "occurred_at"
        )
    )


def _member_since(user: Any, workspace_id: int) -> datetime | None:
    return (
        Membership.objects.filter(user_id=user.pk, workspace_id=workspace_id)
        .values_list("created_at", flat=True)
        .first()
    )
