"""Tasks end with their project or workspace: deleting either records TaskDeleted on each of its
tasks, after the ProjectDeleted or WorkspaceDeleted that caused it, in the same transaction."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from eventstore.models import Event, OutboxMessage
from tests.factories import ProjectFactory, TaskFactory
from workspaces import commands


def types_since(event_id: int) -> list[tuple[str, str, int | None]]:
    return list(
        Event.objects.filter(id__gt=event_id)
        .order_by("id")
        .values_list("type", "stream", "actor_id")
    )


def last_event_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.mark.django_db
class TestDeletedWithTheirProject:
    def test_project_delete_records_the_deletion_of_each_of_its_tasks(self, team: Any) -> None:
        # given two tasks in the project and one in another project of the workspace
        first, second = TaskFactory(project=team.project), TaskFactory(project=team.project)
        elsewhere = TaskFactory(project=ProjectFactory(workspace=team.workspace))
        project_id, before = team.project.pk, last_event_id()

        # when an admin deletes the project
        commands.project_delete(actor=team.admin, project=team.project)

        # then ProjectDeleted comes first, then one TaskDeleted per task, all by the admin,
        # each with its outbox row; the other project's task is untouched
        assert types_since(before) == [
            ("ProjectDeleted", f"project-{project_id}", team.admin.pk),
            ("TaskDeleted", f"task-{first.pk}", team.admin.pk),
            ("TaskDeleted", f"task-{second.pk}", team.admin.pk),
        ]
        assert OutboxMessage.objects.filter(event_id__gt=before).count() == 3
        assert Event.objects.filter(stream=f"task-{elsewhere.pk}", type="TaskDeleted").count() == 0

    def test_workspace_delete_records_the_deletion_of_every_task_in_it(self, team: Any) -> None:
        # given a task in each of two projects
        first = TaskFactory(project=team.project)
        second = TaskFactory(project=ProjectFactory(workspace=team.workspace))
        workspace_id, before = team.workspace.pk, last_event_id()

        # when the owner deletes the workspace
        commands.workspace_delete(actor=team.owner, workspace=team.workspace)

        # then WorkspaceDeleted comes first, then each task's TaskDeleted, by the owner
        assert types_since(before) == [
            ("WorkspaceDeleted", f"workspace-{workspace_id}", team.owner.pk),
            ("TaskDeleted", f"task-{first.pk}", team.owner.pk),
            ("TaskDeleted", f"task-{second.pk}", team.owner.pk),
        ]

    def test_a_refused_delete_records_nothing(self, team: Any) -> None:
        # given a task in the project
        TaskFactory(project=team.project)
        before = last_event_id()

        # when a member (below admin) tries to delete the project
        with pytest.raises(PermissionDenied):
            commands.project_delete(actor=team.member, project=team.project)

        # then no event was appended, the tasks' deletion neither
        assert types_since(before) == []
