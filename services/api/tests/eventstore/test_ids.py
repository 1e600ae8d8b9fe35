"""Ids drawn for event-sourced objects never come back, on SQLite as on PostgreSQL.

A deleted object's events stay in the store under its id: a new object given the same id would
append to the old stream and be refused with 409 (tasks), or mix two objects' history (comments).
"""

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from eventstore.ids import allocate_id
from eventstore.models import Event
from tasks.models import Comment, Task

pytestmark = pytest.mark.django_db

API_DIR = Path(__file__).resolve().parents[2]
# Every model allocate_id serves; each has a delete-then-create regression test below.
SERVED_MODELS = {"Task", "Comment"}


def create_task(team: Any, title: str = "task") -> Any:
    return team.client("member").post(
        "/api/v1/tasks/", {"project": team.project.pk, "title": title}, format="json"
    )


def create_comment(team: Any, task_id: int, body: str = "comment") -> Any:
    return team.client("member").post(
        f"/api/v1/tasks/{task_id}/comments/", {"body": body}, format="json"
    )


def test_the_models_allocate_id_serves_are_the_ones_tested_here() -> None:
    # Given: every call of allocate_id in the application's code
    calls = set()
    for path in API_DIR.rglob("*.py"):
        if "tests" in path.relative_to(API_DIR).parts:
            continue
        calls.update(re.findall(r"allocate_id\((\w+)\)", path.read_text()))
    # Then: each model it serves has its regression test in this module
    assert calls == SERVED_MODELS


def test_ids_increase_even_when_the_newest_row_is_deleted(team: Any) -> None:
    # Given: a task, deleted
    first = create_task(team).json()["id"]
    assert team.client("member").delete(f"/api/v1/tasks/{first}/").status_code == 204
    # When: ids are drawn again
    drawn = [allocate_id(Task) for _ in range(3)]
    # Then: each is new and larger than every id drawn before
    assert drawn == sorted(drawn)
    assert len(set(drawn)) == 3
    assert drawn[0] > first


def test_create_after_deleting_the_newest_task_is_201(team: Any) -> None:
    # Given: the newest task was deleted (its stream remains in the event store)
    first = create_task(team, "first")
    assert first.status_code == 201, first.content
    deleted = first.json()["id"]
    assert team.client("member").delete(f"/api/v1/tasks/{deleted}/").status_code == 204

    # When: tasks are created again
    second = create_task(team, "second")
    third = create_task(team, "third")

    # Then: both are created, with fresh ids and streams of their own
    assert second.status_code == 201, second.content
    assert third.status_code == 201, third.content
    assert deleted < second.json()["id"] < third.json()["id"]
    assert Event.objects.filter(stream=f"task-{second.json()['id']}").count() == 1


def test_create_after_deleting_the_newest_comment_is_201(team: Any) -> None:
    # Given: a task whose newest comment was deleted
    task_id = create_task(team).json()["id"]
    first = create_comment(team, task_id, "first")
    assert first.status_code == 201, first.content
    deleted = first.json()["id"]
    url = f"/api/v1/tasks/{task_id}/comments/{deleted}/"
    assert team.client("member").delete(url).status_code == 204

    # When: a comment is posted again
    second = create_comment(team, task_id, "second")

    # Then: it is created under a new id, and the deleted comment's history stays its own
    assert second.status_code == 201, second.content
    assert second.json()["id"] > deleted
    history = team.client("member").get(f"/api/v1/tasks/{task_id}/history/").json()
    events = history["results"] if isinstance(history, dict) else history
    comment_ids = [e["data"]["comment_id"] for e in events if "comment_id" in e["data"]]
    assert comment_ids == [deleted, deleted, second.json()["id"]]


def test_create_after_a_rebuild_does_not_reuse_a_deleted_id(team: Any) -> None:
    # Given: the newest task and comment were deleted, then the read models rebuilt
    keep = create_task(team, "keep").json()["id"]
    gone = create_task(team, "gone").json()["id"]
    comment = create_comment(team, keep).json()["id"]
    assert team.client("member").delete(f"/api/v1/tasks/{gone}/").status_code == 204
    url = f"/api/v1/tasks/{keep}/comments/{comment}/"
    assert team.client("member").delete(url).status_code == 204
    call_command("rebuild_projections", stdout=open("/dev/null", "w"))  # noqa: SIM115

    # When: a task and a comment are created
    task = create_task(team, "after")
    new_comment = create_comment(team, keep, "after")

    # Then: both are 201 with ids past the deleted ones
    assert task.status_code == 201, task.content
    assert task.json()["id"] > gone
    assert new_comment.status_code == 201, new_comment.content
    assert new_comment.json()["id"] > comment
    assert not Comment.objects.filter(pk=comment).exists()
