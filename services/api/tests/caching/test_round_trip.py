"""A cached read in one Redis round trip, answered with stored bytes (caching/round_trip.py,
caching/stored.py): counted at the client, and what a hit does not do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.connection import AbstractConnection

from accounts import principals, sessions
from accounts.tokens import SessionRefreshToken
from caching import generations, keys, store
from caching.stored import StoredResponse
from tasks import cache_keys as task_keys
from tasks.serializers import TaskSerializer
from tests.api.test_throttling import rates
from tests.caching.conftest import Lookups
from tests.conftest import requires_redis
from tests.factories import LabelFactory, TaskFactory
from workspaces import cache_keys as workspace_keys

pytestmark = [pytest.mark.django_db, requires_redis]


@contextmanager
def redis_round_trips() -> Iterator[list[bytes]]:
    """Every request written to a Redis connection (a pipeline or a script is one), in order."""
    sent: list[bytes] = []
    original = AbstractConnection.send_packed_command

    def spy(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        parts = command if isinstance(command, list | tuple) else [command]
        sent.append(b"".join(bytes(p) for p in parts)[:200])
        original(self, command, check_health)

    AbstractConnection.send_packed_command = spy  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        AbstractConnection.send_packed_command = original  # type: ignore[method-assign]


@contextmanager
def serializer_calls() -> Iterator[list[Any]]:
    calls: list[Any] = []
    original = TaskSerializer.to_representation

    def spy(self: TaskSerializer, instance: Any) -> Any:
        calls.append(instance)
        return original(self, instance)

    TaskSerializer.to_representation = spy  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        TaskSerializer.to_representation = original  # type: ignore[method-assign]


def _list_key(team: Any, client: Any) -> str:
    """The entry key of `?project=` for the team's members, as the ordinary path resolves it."""
    url = f"/api/v1/tasks/?project={team.project.pk}"
    page_url = "http://testserver/api/v1/tasks/"
    base = task_keys.task_list_key(
        visible_workspaces=[team.workspace.pk],
        query=[("project", [str(team.project.pk)])],
        url=page_url,
    )
    entry_key, _ = generations.resolve(
        base, [keys.epoch_key(), workspace_keys.project_tasks_generation_key(team.project.pk)]
    )
    assert client.get(url).status_code == 200
    return entry_key


def _detail_urls(team: Any) -> dict[str, str]:
    return {
        "project_detail": f"/api/v1/projects/{team.project.pk}/",
        "workspace_detail": f"/api/v1/workspaces/{team.workspace.pk}/",
    }


class TestOneRoundTrip:
    def test_a_cached_task_list_is_one_redis_command_and_no_query(
        self, team: Any, lookups: Lookups
    ) -> None:
        # given a project's task list read once (principal and entry stored)
        TaskFactory.create_batch(3, project=team.project)
        client = team.client("viewer")
        url = f"/api/v1/tasks/?project={team.project.pk}"
        first = client.get(url)

        # when it is read again
        with redis_round_trips() as sent, CaptureQueriesContext(connection) as queries:
            second = client.get(url)

        # then one EVALSHA answered principal, throttles, generations and entry
        assert second.status_code == 200
        assert second.content == first.content
        assert second["ETag"] == first["ETag"]
        assert len(sent) == 1, sent
        assert sent[0].split(b"\r\n")[2].upper() == b"EVALSHA"
        assert len(queries) == 0
        assert lookups("task_list", "hit") == 1
        assert lookups("principal", "hit") >= 1

    def test_a_cached_task_detail_is_one_redis_command_and_no_query(
        self, team: Any, lookups: Lookups
    ) -> None:
        task = TaskFactory(project=team.project)
        client = team.client("viewer")
        first = client.get(f"/api/v1/tasks/{task.pk}/")

        with redis_round_trips() as sent, CaptureQueriesContext(connection) as queries:
            second = client.get(f"/api/v1/tasks/{task.pk}/")

        # the write-behind view is counted inside the same script
        assert second.status_code == 200
        assert second.content == first.content
        assert len(sent) == 1, sent
        # who may see it comes from the principal, the task from its current entry
        assert len(queries) == 0
        assert lookups("task_detail", "hit") == 1
        buffer = store.run("test", lambda r: r.hgetall(task_keys.task_views_buffer_key()))
        assert int(buffer[f"n:{task.pk}".encode()]) == 2

    @pytest.mark.parametrize("read", ["project_detail", "workspace_detail"])
    def test_a_cached_project_or_workspace_is_one_redis_command_and_no_query(
        self, team: Any, lookups: Lookups, read: str
    ) -> None:
        # given the detail read once (principal and entry stored)
        url = _detail_urls(team)[read]
        client = team.client("viewer")
        first = client.get(url)
        assert first.status_code == 200

        # when it is read again
        with redis_round_trips() as sent, CaptureQueriesContext(connection) as queries:
            second = client.get(url)

        # then one EVALSHA read principal, throttles and entry; DRF answered it (per reader: a
        # workspace shows the reader's role)
        assert second.status_code == 200
        assert (second.content, second["ETag"]) == (first.content, first["ETag"])
        assert len(sent) == 1, sent
        assert sent[0].split(b"\r\n")[2].upper() == b"EVALSHA"
        assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]
        assert lookups(read, "hit") == 1

    def test_the_throttle_is_counted_in_the_round_trip(self, team: Any) -> None:
        client = team.client("viewer")
        url = f"/api/v1/tasks/?project={team.project.pk}"
        with rates(user="3/minute"):
            statuses = [client.get(url).status_code for _ in range(4)]
            with redis_round_trips() as sent:
                refused = client.get(url)
        assert statuses == [200, 200, 200, 429]
        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert len(sent) == 1

    def test_a_token_of_ended_sessions_is_refused_on_the_round_trip_path(self, team: Any) -> None:
        # given a viewer's cached task list, read with a token of the current session epoch
        client = team.client("viewer")
        url = f"/api/v1/tasks/?project={team.project.pk}"
        assert client.get(url).status_code == 200
        assert client.get(url).status_code == 200  # a hit: principal and entry from the script

        # when the viewer's sessions end (password change, log out everywhere, ...)
        sessions.sessions_end(user_id=team.viewer.pk, reason=sessions.REASON_LOGGED_OUT)

        # then the same token is refused on the cached read, in the envelope
        refused = client.get(url)
        assert refused.status_code == 401
        assert refused.json()["error"]["details"] == {"code": "token_revoked"}

    def test_a_stale_epoch_is_not_counted_against_the_throttle(self, team: Any) -> None:
        client = team.client("viewer")
        url = f"/api/v1/tasks/?project={team.project.pk}"
        assert client.get(url).status_code == 200
        with rates(user="3/minute"):
            assert client.get(url).status_code == 200  # two of the three counted
            # the principal entry now holds epoch 1, the token still carries 0
            sessions.sessions_end(user_id=team.viewer.pk, reason=sessions.REASON_LOGGED_OUT)
            principals.cached_user(team.viewer.pk)
            assert [client.get(url).status_code for _ in range(3)] == [401, 401, 401]
            # and a token of the new epoch is answered: the refusals were not counted
            fresh = SessionRefreshToken.for_user(team.viewer).access_token
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh}")
            assert client.get(url).status_code == 200


class TestStoredBytes:
    def test_a_hit_runs_no_serializer_and_no_renderer(self, team: Any) -> None:
        TaskFactory.create_batch(
            2, project=team.project, labels=[LabelFactory(workspace=team.workspace)]
        )
        task = TaskFactory(project=team.project)
        client = team.client("viewer")
        client.get(f"/api/v1/tasks/?project={team.project.pk}")
        client.get(f"/api/v1/tasks/{task.pk}/")

        with serializer_calls() as calls:
            listed = client.get(f"/api/v1/tasks/?project={team.project.pk}")
            detail = client.get(f"/api/v1/tasks/{task.pk}/")

        assert calls == []
        assert len(listed.json()["results"]) == 3
        assert detail.json()["id"] == task.pk
        # a plain HttpResponse: DRF's renderer had nothing to render
        assert not hasattr(listed, "data")
        assert listed["Content-Type"] == "application/json"

    def test_a_miss_runs_the_serializer(self, team: Any) -> None:
        TaskFactory(project=team.project)
        with serializer_calls() as calls:
            team.client("viewer").get(f"/api/v1/tasks/?project={team.project.pk}")
        assert len(calls) == 1

    @pytest.mark.parametrize(
        "stored",
        [
            {"etag": '"old"', "data": {"results": []}},  # the previous shape (a pickled dict)
            b"\x00r1\n{not json\n[]",  # corrupt metadata
            b"\x00r1\n",  # truncated
            b"\x00zz\n{}\n[]",  # another shape's marker
        ],
    )
    def test_a_corrupt_or_old_shape_list_entry_is_recomputed(self, team: Any, stored: Any) -> None:
        # given the list's entry replaced by something that is not a stored response
        TaskFactory.create_batch(2, project=team.project)
        client = team.client("viewer")
        entry_key = _list_key(team, client)
        store.put(entry_key, stored, 60)

        # when the list is read, then it is computed again and the entry repaired
        response = client.get(f"/api/v1/tasks/?project={team.project.pk}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == 2
        assert StoredResponse.unpack(store.get(entry_key)) is not None

    @pytest.mark.parametrize("read", ["project_detail", "workspace_detail"])
    @pytest.mark.parametrize(
        "stored",
        [
            b"not a pickle",  # corrupt
            {"etag": '"old"'},  # another shape
            {"data": {"id": 1, "workspace": 1}},  # the shape of an earlier release
            # a stored answer without what a reader checks (the workspace, the role's place)
            StoredResponse(etag='"x"', body=b'{"id":1}').pack(),
            7,  # a plain integer, as django-redis stores one
        ],
    )
    def test_a_corrupt_or_old_shape_detail_entry_is_recomputed(
        self, team: Any, read: str, stored: Any
    ) -> None:
        # given the detail's entry replaced by something that is not an entry
        url = _detail_urls(team)[read]
        client = team.client("viewer")
        expected = client.get(url).json()
        base, generation = {
            "project_detail": (
                workspace_keys.project_detail_key(team.project.pk),
                workspace_keys.project_generation_key(team.project.pk),
            ),
            "workspace_detail": (
                workspace_keys.workspace_detail_key(team.workspace.pk),
                workspace_keys.workspace_generation_key(team.workspace.pk),
            ),
        }[read]
        entry_key, _ = generations.resolve(base, [keys.epoch_key(), generation])
        store.put(entry_key, stored, 60)

        # when it is read, then it is computed again and the entry repaired
        response = client.get(url)
        assert response.status_code == 200
        assert response.json() == expected
        repaired = StoredResponse.unpack(store.get(entry_key))
        assert repaired is not None and orjson.loads(repaired.body)["id"] == expected["id"]

    def test_a_corrupt_principal_is_recomputed(self, team: Any) -> None:
        user = team.user("viewer")
        client = team.client("viewer")
        client.get("/api/v1/tasks/")
        entry_key, _ = generations.resolve(
            keys.principal_key(user.pk), [keys.epoch_key(), keys.user_generation_key(user.pk)]
        )
        store.put(entry_key, principals.MARKER + b"{broken", 60)

        response = client.get(f"/api/v1/tasks/?project={team.project.pk}")

        assert response.status_code == 200
        assert principals.decode(store.get(entry_key)) is not None
