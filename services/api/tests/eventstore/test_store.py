"""The event store: append-only in the database, optimistic concurrency, metadata, upcasting."""

import threading
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient

from eventstore import registry
from eventstore.models import Event, OutboxMessage
from eventstore.store import ConcurrencyConflict, NewEvent, append, read_stream
from tasks import commands
from tasks.events import TASK_RENAMED
from tests.api.test_errors import assert_envelope
from tests.conftest import requires_postgres
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


@requires_postgres
class TestAppendOnly:
    def test_update_is_refused_by_the_database(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        with (
            pytest.raises(DatabaseError, match="append-only: UPDATE refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE eventstore_event SET data = '{}' WHERE stream = %s", [f"task-{task.pk}"]
            )
        assert Event.objects.get(stream=f"task-{task.pk}").data["title"] == task.title

    def test_delete_is_refused_by_the_database(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM eventstore_outboxmessage")
        with (
            pytest.raises(DatabaseError, match="append-only: DELETE refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM eventstore_event WHERE stream = %s", [f"task-{task.pk}"])
        assert Event.objects.filter(stream=f"task-{task.pk}").count() == 1

    def test_orm_save_of_an_existing_event_is_refused(self, team: Any) -> None:
        event = Event.objects.get(stream=f"task-{TaskFactory(project=team.project).pk}")
        event.type = "Tampered"
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            event.save()


class TestConcurrency:
    def test_appending_at_a_taken_version_is_a_conflict_and_changes_nothing(
        self, team: Any
    ) -> None:
        task = TaskFactory(project=team.project)
        stream = f"task-{task.pk}"
        with pytest.raises(ConcurrencyConflict):
            append(
                stream=stream,
                expected_version=0,
                events=[NewEvent(TASK_RENAMED, {"title": "x"})],
                workspace_id=team.workspace.pk,
                actor_id=None,
                group="project.1",
            )
        assert list(Event.objects.filter(stream=stream).values_list("version", flat=True)) == [1]
        assert OutboxMessage.objects.filter(stream=stream).count() == 1

    @requires_postgres
    @pytest.mark.django_db(transaction=True)
    def test_two_concurrent_writers_one_wins_one_gets_409(
        self, team: Any, monkeypatch: Any
    ) -> None:
        # Given: a task, and two commands that both load it at version 1 before either appends
        task = TaskFactory(project=team.project)
        loaded = threading.Barrier(2, timeout=10)
        real_load = commands._load

        def load_then_wait(task_id: int, **checks: Any) -> Any:
            state = real_load(task_id, **checks)
            loaded.wait()
            return state

        monkeypatch.setattr(commands, "_load", load_then_wait)
        outcomes: list[str] = []

        def rename(title: str) -> None:
            try:
                commands.task_update(actor=team.member, task_id=task.pk, title=title)
                outcomes.append("ok")
            except ConcurrencyConflict:
                outcomes.append("conflict")
            finally:
                connection.close()

        # When: both commit
        threads = [threading.Thread(target=rename, args=(t,)) for t in ("first", "second")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)

        # Then: exactly one won; the stream and the read model hold only the winner's change
        assert sorted(outcomes) == ["conflict", "ok"]
        events = list(Event.objects.filter(stream=f"task-{task.pk}").order_by("version"))
        assert [e.version for e in events] == [1, 2]
        task.refresh_from_db()
        assert task.version == 2
        assert task.title == events[1].data["title"]

    def test_conflict_reaches_the_client_as_409(self, team: Any, monkeypatch: Any) -> None:
        task = TaskFactory(project=team.project)
        real_load = commands._load

        def load_stale(task_id: int, **checks: Any) -> Any:
            loaded = real_load(task_id, **checks)
            # A concurrent writer commits version 2 between our load and our append.
            append(
                stream=f"task-{task_id}",
                expected_version=loaded.state.version,
                events=[NewEvent(TASK_RENAMED, {"title": "theirs"})],
                workspace_id=loaded.state.workspace_id,
                actor_id=None,
                group="project.x",
            )
            return loaded

        monkeypatch.setattr(commands, "_load", load_stale)
        response = team.client("member").patch(
            f"/api/v1/tasks/{task.pk}/", {"title": "mine"}, format="json"
        )
        assert_envelope(response, 409, "conflict")
        assert not Event.objects.filter(stream=f"task-{task.pk}", data__title="mine").exists()


class TestMetadata:
    def test_events_record_actor_address_agent_and_ids(self, team: Any) -> None:
        client = team.client("member")
        response = client.post(
            "/api/v1/tasks/",
            {"project": team.project.pk, "title": "traced"},
            format="json",
            HTTP_X_REQUEST_ID="req-123",
            HTTP_X_CORRELATION_ID="flow-9",
            HTTP_USER_AGENT="tests/1.0",
            REMOTE_ADDR="203.0.113.7",
        )
        event = Event.objects.get(stream=f"task-{response.json()['id']}")
        assert event.type == "TaskCreated"
        assert event.schema_version == 1
        assert event.actor_id == team.member.pk
        assert event.ip_address == "203.0.113.7"
        assert event.user_agent == "tests/1.0"
        assert event.request_id == "req-123"
        assert event.correlation_id == "flow-9"
        assert event.causation_id == "req-123"
        assert event.workspace_id == team.workspace.pk
        assert event.occurred_at is not None

    def test_correlation_defaults_to_the_request_id(self, team: Any) -> None:
        response = team.client("member").post(
            "/api/v1/tasks/",
            {"project": team.project.pk, "title": "t"},
            format="json",
            HTTP_X_REQUEST_ID="r-1",
        )
        assert Event.objects.get(stream=f"task-{response.json()['id']}").correlation_id == "r-1"

    def test_each_event_has_an_outbox_row_for_the_projects_group(self, team: Any) -> None:
        response = team.client("member").post(
            "/api/v1/tasks/", {"project": team.project.pk, "title": "t"}, format="json"
        )
        row = OutboxMessage.objects.get(stream=f"task-{response.json()['id']}")
        assert row.group == f"project.{team.project.pk}"
        assert row.published_at is None


class TestSchemas:
    def test_old_schema_is_upcast_when_read(self, team: Any, monkeypatch: Any) -> None:
        # Given: TaskRenamed now at schema 2 (title renamed to name in this made-up example)
        monkeypatch.setitem(
            registry._types,
            TASK_RENAMED,
            registry.EventType(TASK_RENAMED, 2, {1: lambda d: {"name": d["title"]}}),
        )
        task = TaskFactory(project=team.project)
        Event.objects.create(
            stream=f"task-{task.pk}",
            version=2,
            type=TASK_RENAMED,
            schema_version=1,
            data={"title": "old shape"},
            workspace_id=team.workspace.pk,
            occurred_at=task.created_at,
        )
        # When: the stream is read
        renamed = read_stream(f"task-{task.pk}")[1]
        # Then: the code sees the current shape
        assert (renamed.schema_version, renamed.data) == (2, {"name": "old shape"})

    def test_unknown_event_type_is_a_clear_error_and_changes_nothing(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        Event.objects.create(
            stream=f"task-{task.pk}",
            version=2,
            type="TaskTeleported",
            data={},
            workspace_id=team.workspace.pk,
            occurred_at=task.created_at,
        )
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(team.member)
        history = client.get(f"/api/v1/tasks/{task.pk}/history/")
        error = assert_envelope(history, 500, "unknown_event_type")
        assert "TaskTeleported" in error["message"]
        patch = client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "x"}, format="json")
        assert_envelope(patch, 500, "unknown_event_type")
        assert Event.objects.filter(stream=f"task-{task.pk}").count() == 2

    def test_every_written_type_is_registered(self) -> None:
        assert {"TaskCreated", "TaskDeleted", "MemberAdded", "ProjectCreated"} <= set(
            registry.registered_types()
        )
