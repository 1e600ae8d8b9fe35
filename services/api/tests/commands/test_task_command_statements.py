"""The SQL statements of the two commands written most (a task PATCH with a new title, a comment
POST), through the API with real commits, counted as loadtests/bench/command_queries.py counts
them for docs/benchmarks.md: every statement, BEGIN and COMMIT included.

Each command is one transaction (events, read models and outbox) and then write-through's one
read of the task after the commit. A statement more is a round trip more and, on this stack,
more CPU in Django than in PostgreSQL: a change that adds one changes these numbers on purpose.
"""

from typing import Any

import pytest

from eventstore.models import Event, OutboxMessage
from tasks.models import Comment
from tests.conftest import requires_postgres, requires_redis
from tests.factories import TaskFactory

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres, requires_redis]

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


def _statements(captured: Any) -> list[str]:
    return [query["sql"] for query in captured.captured_queries]


def _transaction_control(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith(TRANSACTION_CONTROL)]


def _writer(team: Any) -> Any:
    client = team.client("member")
    client.get("/api/v1/auth/me/")  # the principal is cached, as it is under load
    return client


def test_a_task_patch_is_seven_statements(team: Any, django_assert_num_queries: Any) -> None:
    # Given: a task and a writer whose principal is cached
    task = TaskFactory(project=team.project)
    client = _writer(team)

    # When: the writer renames it
    with django_assert_num_queries(7) as captured:
        response = client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "Renamed"}, format="json")

    # Then: the visibility read, one transaction of three statements (state and role, events
    # with their outbox rows, the projected row) and write-through's read after the commit
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    statements = _statements(captured)
    assert _transaction_control(statements) == ["BEGIN", "COMMIT"]
    inside = statements[statements.index("BEGIN") + 1 : statements.index("COMMIT")]
    assert len(inside) == 3
    assert sum('INSERT INTO "eventstore_event"' in sql for sql in inside) == 1
    # and the audit data and the outbox row were written by that one insert
    event = Event.objects.get(stream=f"task-{task.pk}", data__title="Renamed")
    assert event.actor_id == team.member.pk
    assert event.ip_address and event.request_id and event.occurred_at
    assert OutboxMessage.objects.filter(event=event, group=f"project.{task.project_id}").exists()


def test_a_comment_post_is_eight_statements(team: Any, django_assert_num_queries: Any) -> None:
    # Given: a task and a writer whose principal is cached
    task = TaskFactory(project=team.project)
    client = _writer(team)

    # When: the writer comments on it
    with django_assert_num_queries(8) as captured:
        response = client.post(
            f"/api/v1/tasks/{task.pk}/comments/", {"body": "Looks good"}, format="json"
        )

    # Then: the visibility read, one transaction of four statements (state, role and the
    # comment's id; events with their outbox rows; the task row; the comment row) and
    # write-through's read after the commit
    assert response.status_code == 201
    statements = _statements(captured)
    assert _transaction_control(statements) == ["BEGIN", "COMMIT"]
    inside = statements[statements.index("BEGIN") + 1 : statements.index("COMMIT")]
    assert len(inside) == 4
    comment = Comment.objects.get(pk=response.json()["id"])
    assert comment.body == "Looks good"
    assert comment.author_id == team.member.pk
    event = Event.objects.get(stream=f"task-{task.pk}", type="TaskCommented")
    assert event.data["comment_id"] == comment.pk
    assert OutboxMessage.objects.filter(event=event).exists()
