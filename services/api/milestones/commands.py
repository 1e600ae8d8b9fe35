"""Writes on milestones. Each runs in one transaction: the row, its event and the event's outbox
row commit together; the cache is invalidated at once and again after the commit.

Members of the project's workspace create and edit milestones; admins (and owners) delete them.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.http import Http404

from caching.write_through import command_writes
from milestones import events
from milestones.models import Milestone
from milestones.reads import milestones_changed
from workspaces.access import access_require_role
from workspaces.models import Project, Role

EDITABLE = ("name", "due_date", "description")


@transaction.atomic
@command_writes()
def milestone_create(
    *, actor: User, project: Project, name: str, due_date: date, description: str = ""
) -> Milestone:
    access_require_role(actor, project.workspace_id, Role.MEMBER)
    milestone = Milestone.objects.create(
        project=project, name=name, due_date=due_date, description=description
    )
    data = {"id": milestone.pk, "project_id": project.pk, **_fields(milestone, EDITABLE)}
    events.record(actor=actor, milestone=milestone, event_type=events.MILESTONE_CREATED, data=data)
    milestones_changed(project_ids=[project.pk])
    return milestone


@transaction.atomic
@command_writes()
def milestone_update(*, actor: User, milestone: Milestone, **changes: Any) -> Milestone:
    """Changes any of EDITABLE; records only the fields whose value actually changed."""
    milestone = _locked(milestone)
    access_require_role(actor, milestone.project.workspace_id, Role.MEMBER)
    changed = [
        field
        for field in EDITABLE
        if field in changes and getattr(milestone, field) != changes[field]
    ]
    if changed:
        for field in changed:
            setattr(milestone, field, changes[field])
        milestone.save(update_fields=[*changed, "updated_at"])
        events.record(
            actor=actor,
            milestone=milestone,
            event_type=events.MILESTONE_UPDATED,
            data=_fields(milestone, changed),
        )
        milestones_changed(project_ids=[milestone.project_id])
    return milestone


@transaction.atomic
@command_writes()
def milestone_delete(*, actor: User, milestone: Milestone) -> None:
    milestone = _locked(milestone)
    access_require_role(actor, milestone.project.workspace_id, Role.ADMIN)
    events.record(
        actor=actor,
        milestone=milestone,
        event_type=events.MILESTONE_DELETED,
        data={"name": milestone.name},
    )
    milestones_changed(project_ids=[milestone.project_id])
    milestone.delete()


def _locked(milestone: Milestone) -> Milestone:
    """The milestone as committed now, locked until this transaction ends: a concurrent delete
    makes the second writer's request a 404, never a 500 or a row saved back to life."""
    current = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(pk=milestone.pk)
        .first()
    )
    if current is None:
        raise Http404("No such milestone.")
    return current


def _fields(milestone: Milestone, names: Iterable[str]) -> dict[str, Any]:
    """The fields as the event records them (JSON: the date as ISO 8601)."""
    values = {name: getattr(milestone, name) for name in names}
    if "due_date" in values:
        values["due_date"] = values["due_date"].isoformat()
    return values
