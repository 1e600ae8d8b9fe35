"""A task's fields are listed once, in tasks/events.py: TaskCreated's data, the aggregate's state
and the read model all follow that list."""

import dataclasses
import datetime
from typing import Any

import pytest

from tasks import events as ev
from tasks.aggregate import TaskState
from tasks.models import Task
from tests.factories import TaskFactory
from workspaces.models import Label


def test_task_created_carries_exactly_the_listed_fields() -> None:
    data = ev.created_data(
        id=1,
        project_id=2,
        workspace_id=3,
        title="t",
        status="done",
        priority=4,
        label_ids=[9, 5],
        due_date=datetime.date(2026, 12, 31),
    )
    assert tuple(data) == ev.CREATED_FIELDS
    assert (data["label_ids"], data["due_date"]) == ([5, 9], "2026-12-31")


def test_the_aggregate_state_has_every_listed_field() -> None:
    state_fields = [f.name for f in dataclasses.fields(TaskState)]
    assert state_fields[: len(ev.CREATED_FIELDS)] == list(ev.CREATED_FIELDS)


def test_the_read_model_has_every_listed_field() -> None:
    attributes = {field.attname for field in Task._meta.concrete_fields} | {"label_ids"}
    assert set(ev.CREATED_FIELDS) <= attributes


@pytest.mark.django_db
def test_a_created_task_reads_back_as_it_was_given(team: Any) -> None:
    # given a task created with every field set
    label = Label.objects.create(workspace=team.workspace, name="x")
    task = TaskFactory(
        project=team.project,
        title="all",
        description="d",
        status="in_progress",
        priority=3,
        assignee=team.member,
        labels=[label],
        due_date=datetime.date(2027, 1, 2),
        created_by=team.owner,
    )

    # then the row holds each of them
    row = Task.objects.get(pk=task.pk)
    assert (row.title, row.description, row.status, row.priority) == ("all", "d", "in_progress", 3)
    assert (row.assignee_id, row.created_by_id) == (team.member.pk, team.owner.pk)
    assert (list(row.labels.values_list("pk", flat=True)), row.due_date) == (
        [label.pk],
        datetime.date(2027, 1, 2),
    )
