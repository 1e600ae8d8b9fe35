"""Projections: idempotent, rebuildable to exactly the incremental state; snapshots."""

from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eventstore.models import Event, ProjectionCheckpoint, Snapshot
from eventstore.store import NewEvent, read_stream
from tasks import aggregate
from tasks.aggregate import SNAPSHOT_EVERY
from tasks.events import TASK_DESCRIBED
from tasks.models import Comment, Task
from tasks.projection import project
from tests.conftest import requires_postgres
from tests.factories import LabelFactory, TaskFactory, _append_and_project

pytestmark = pytest.mark.django_db


def read_model_state() -> dict[str, Any]:
    tasks = {
        t.pk: (
            t.project_id,
            t.workspace_id,
            t.title,
            t.description,
            t.status,
            t.priority,
            t.assignee_id,
            t.due_date,
            t.version,
            t.created_by_id,
            t.created_at,
            t.updated_at,
            sorted(t.labels.values_list("pk", flat=True)),
        )
        for t in Task.objects.all()
    }
    comments = {
        c.pk: (c.task_id, c.author_id, c.body, c.created_at, c.updated_at)
        for c in Comment.objects.all()
    }
    return {"tasks": tasks, "comments": comments}


def busy_workspace(team: Any) -> None:
    """A workspace with every kind of task event, through the API."""
    labels = [LabelFactory(workspace=team.workspace) for _ in range(3)]
    member = team.client("member")
    ids = []
    for n in range(6):
        body = member.post(
            "/api/v1/tasks/",
            {
                "project": team.project.pk,
                "title": f"t{n}",
                "labels": [labels[n % 3].pk],
                "due_date": f"2027-03-0{n + 1}",
            },
            format="json",
        ).json()
        ids.append(body["id"])
    member.patch(
        f"/api/v1/tasks/{ids[0]}/",
        {"title": "x", "status": "in_progress", "priority": "urgent"},
        format="json",
    )
    member.patch(
        f"/api/v1/tasks/{ids[1]}/",
        {"assignee": team.viewer.pk, "labels": [label.pk for label in labels]},
        format="json",
    )
    member.patch(f"/api/v1/tasks/{ids[2]}/", {"due_date": None, "description": "d"}, format="json")
    comment = member.post(f"/api/v1/tasks/{ids[3]}/comments/", {"body": "c1"}, format="json").json()
    member.patch(
        f"/api/v1/tasks/{ids[3]}/comments/{comment['id']}/", {"body": "c1 edited"}, format="json"
    )
    second = member.post(f"/api/v1/tasks/{ids[3]}/comments/", {"body": "c2"}, format="json").json()
    member.delete(f"/api/v1/tasks/{ids[3]}/comments/{second['id']}/")
    member.post(
        f"/api/v1/tasks/{ids[4]}/comments/", {"body": "on a task deleted later"}, format="json"
    )
    team.client("owner").delete(f"/api/v1/tasks/{ids[4]}/")


def test_rebuild_reproduces_the_incremental_state_exactly(team: Any) -> None:
    # Given: read models maintained incrementally by the commands
    busy_workspace(team)
    incremental = read_model_state()
    assert len(incremental["tasks"]) == 5 and len(incremental["comments"]) == 1

    # When: every read model is rebuilt from the log
    call_command("rebuild_projections", stdout=open("/dev/null", "w"))  # noqa: SIM115

    # Then: the state is identical, field by field, and the checkpoint is the last event
    assert read_model_state() == incremental
    assert ProjectionCheckpoint.objects.get(name="tasks").position == Event.objects.latest("id").id


@requires_postgres
def test_ids_allocated_after_a_rebuild_do_not_collide(team: Any) -> None:
    # Given: a database whose id sequences lag behind the ids in the log (as after a restore)
    busy_workspace(team)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('tasks_task', 'id'), 1)")
    call_command("rebuild_projections", stdout=open("/dev/null", "w"))  # noqa: SIM115
    highest = max(read_model_state()["tasks"])
    response = team.client("member").post(
        "/api/v1/tasks/", {"project": team.project.pk, "title": "new"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["id"] > highest


def test_projection_is_idempotent(team: Any) -> None:
    busy_workspace(team)
    before = read_model_state()
    for event in Event.objects.filter(stream__startswith="task-").order_by("id"):
        project(event)
    assert read_model_state() == before


def test_queries_read_only_the_projection(team: Any) -> None:
    task = TaskFactory(project=team.project)
    with CaptureQueriesContext(connection) as queries:
        team.client("viewer").get(f"/api/v1/tasks/{task.pk}/")
        team.client("viewer").get("/api/v1/tasks/")
    assert not any("eventstore_" in q["sql"] for q in queries.captured_queries)


class TestSnapshots:
    def _grow(self, task: Task, events: int) -> None:
        new = [NewEvent(TASK_DESCRIBED, {"description": f"d{n}"}) for n in range(events)]
        _append_and_project(task.pk, task.project, new)

    def test_a_snapshot_is_written_every_interval_by_commands(self, team: Any) -> None:
        task = TaskFactory(project=team.project, version=SNAPSHOT_EVERY - 1)
        assert not Snapshot.objects.exists()
        team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "crossing"}, format="json"
        )
        snapshot = Snapshot.objects.get(stream=f"task-{task.pk}")
        assert snapshot.version == SNAPSHOT_EVERY
        assert snapshot.state["title"] == "crossing"

    def test_load_reads_only_the_events_after_the_snapshot(self, team: Any) -> None:
        task = TaskFactory(project=team.project, version=SNAPSHOT_EVERY - 1)
        team.client("member").patch(f"/api/v1/tasks/{task.pk}/", {"title": "snap"}, format="json")
        self._grow(task, 5)
        with mock.patch("tasks.aggregate.read_stream", wraps=read_stream) as reader:
            state = aggregate.load(task.pk)
        reader.assert_called_once_with(f"task-{task.pk}", after_version=SNAPSHOT_EVERY)
        assert state is not None
        full = aggregate.fold(read_stream(f"task-{task.pk}"))
        assert state == full
        assert state.version == SNAPSHOT_EVERY + 5
