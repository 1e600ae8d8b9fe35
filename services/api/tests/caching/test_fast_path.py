"""A cached read answered before DRF's dispatch (caching/fast_path.py): the same answer as the
ordinary path, byte for byte, without DRF's machinery, and everything else left to DRF."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext
from drf_orjson_renderer.renderers import ORJSONRenderer
from prometheus_client import REGISTRY
from rest_framework.views import APIView

from accounts.tokens import SessionJWTAuthentication
from caching import fast_path, round_trip
from caching.round_trip import RoundTrip
from caching.stored import StoredResponse
from tasks.cached_hits import task_detail_hit
from tasks.serializers import TaskSerializer
from tests.api.test_throttling import rates
from tests.caching.conftest import Lookups
from tests.caching.test_round_trip import redis_round_trips
from tests.conftest import requires_redis
from tests.factories import LabelFactory, MilestoneFactory, TaskFactory
from workspaces import representations
from workspaces.cached_hits import project_detail_hit, workspace_detail_hit

pytestmark = [pytest.mark.django_db, requires_redis]

# Differ between any two responses whatever answered them.
_PER_RESPONSE = {"X-Request-ID"}


@contextmanager
def drf_spies() -> Iterator[dict[str, mock.MagicMock]]:
    """DRF's dispatch, authentication, renderer and the serializer, watched, still working."""
    targets = {
        "initial": (APIView, "initial"),
        "authenticate": (SessionJWTAuthentication, "authenticate"),
        "render": (ORJSONRenderer, "render"),
        "serializer": (TaskSerializer, "to_representation"),
    }
    with ExitStack() as stack:
        spies = {
            name: stack.enter_context(
                mock.patch.object(
                    owner, attribute, autospec=True, side_effect=getattr(owner, attribute)
                )
            )
            for name, (owner, attribute) in targets.items()
        }
        yield spies


@contextmanager
def ordinary_path_only() -> Iterator[None]:
    with mock.patch.object(fast_path, "answer_before_dispatch", return_value=None):
        yield


def _urls(team: Any) -> dict[str, str]:
    TaskFactory.create_batch(
        2, project=team.project, labels=[LabelFactory(workspace=team.workspace)]
    )
    task = TaskFactory(project=team.project)
    MilestoneFactory.create_batch(2, project=team.project)
    return {
        "list": f"/api/v1/tasks/?project={team.project.pk}",
        "detail": f"/api/v1/tasks/{task.pk}/",
        "projects": "/api/v1/projects/",
        "projects_of_workspace": f"/api/v1/projects/?workspace={team.workspace.pk}",
        "workspaces": "/api/v1/workspaces/",
        "milestones": f"/api/v1/milestones/?project={team.project.pk}",
        "project": f"/api/v1/projects/{team.project.pk}/",
        "workspace": f"/api/v1/workspaces/{team.workspace.pk}/",
    }


# Each read answered before DRF's dispatch on a hit: its route and its cache.
_READS = {
    "list": ("/api/v1/tasks/", "task_list"),
    "detail": ("/api/v1/tasks/<int:pk>/", "task_detail"),
    "projects": ("/api/v1/projects/", "project_list"),
    "projects_of_workspace": ("/api/v1/projects/", "project_list"),
    "workspaces": ("/api/v1/workspaces/", "workspace_list"),
    "milestones": ("/api/v1/milestones/", "milestone_list"),
    "project": ("/api/v1/projects/<int:pk>/", "project_detail"),
    "workspace": ("/api/v1/workspaces/<int:pk>/", "workspace_detail"),
}


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in _PER_RESPONSE}


@pytest.mark.parametrize("read", list(_READS))
class TestAHit:
    def test_answers_byte_for_byte_what_the_ordinary_path_answers(
        self, team: Any, read: str
    ) -> None:
        url = _urls(team)[read]
        client = team.client("viewer")
        assert client.get(url).status_code == 200  # fills the entry

        with drf_spies() as spies:
            fast = client.get(url)
        assert spies["initial"].call_count == 0  # answered before DRF's dispatch
        with ordinary_path_only(), drf_spies() as spies:
            ordinary = client.get(url)
        assert spies["initial"].call_count == 1  # and this one by DRF's

        assert fast.status_code == ordinary.status_code == 200
        assert fast.content == ordinary.content
        assert _headers(fast) == _headers(ordinary)
        assert fast["ETag"] and fast["Content-Type"] == "application/json"

    def test_runs_no_drf_authentication_renderer_or_serializer(self, team: Any, read: str) -> None:
        url = _urls(team)[read]
        client = team.client("viewer")
        client.get(url)

        with drf_spies() as spies:
            assert client.get(url).status_code == 200

        assert {name: spy.call_count for name, spy in spies.items()} == {
            "initial": 0,
            "authenticate": 0,
            "render": 0,
            "serializer": 0,
        }

    def test_is_one_redis_round_trip(self, team: Any, read: str) -> None:
        url = _urls(team)[read]
        client = team.client("viewer")
        client.get(url)

        with (
            drf_spies() as spies,
            redis_round_trips() as sent,
            CaptureQueriesContext(connection) as queries,
        ):
            assert client.get(url).status_code == 200

        assert spies["initial"].call_count == 0
        assert len(sent) == 1, sent
        assert sent[0].split(b"\r\n")[2].upper() == b"EVALSHA"
        # neither asks PostgreSQL anything: the principal says which workspaces the reader sees
        assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]

    def test_is_logged_and_counted(
        self, team: Any, read: str, lookups: Lookups, caplog: pytest.LogCaptureFixture
    ) -> None:
        url = _urls(team)[read]
        client = team.client("viewer")
        client.get(url)
        route, cache = _READS[read]
        labels = {"service": "api", "method": "GET", "route": route, "status": "200"}
        before = REGISTRY.get_sample_value("http_requests_total", labels) or 0
        hits = lookups(cache, "hit"), lookups("principal", "hit")

        with caplog.at_level(logging.INFO, logger="api.request"), drf_spies() as spies:
            response = client.get(url, HTTP_X_REQUEST_ID="fast-path-1")

        assert spies["initial"].call_count == 0
        assert response["X-Request-ID"] == "fast-path-1"
        (record,) = [r for r in caplog.records if r.name == "api.request"]
        assert (record.request_id, record.user, record.status) == (
            "fast-path-1",
            team.viewer.pk,
            200,
        )  # type: ignore[attr-defined]
        assert REGISTRY.get_sample_value("http_requests_total", labels) == before + 1
        assert (lookups(cache, "hit"), lookups("principal", "hit")) == (
            hits[0] + 1,
            hits[1] + 1,
        )


class TestLeftToDrf:
    def test_a_refused_throttle_is_counted_once_and_answered_by_drf(self, team: Any) -> None:
        url = _urls(team)["list"]
        client = team.client("viewer")
        with rates(user="2/minute"):
            assert [client.get(url).status_code for _ in range(2)] == [200, 200]
            with drf_spies() as spies, redis_round_trips() as sent:
                refused = client.get(url)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "throttled"
        assert spies["initial"].call_count == 1
        assert len(sent) == 1  # the round trip before dispatch, not repeated by DRF's throttle

    @pytest.mark.parametrize(
        "headers",
        [{"HTTP_ACCEPT": "text/html"}, {"HTTP_IF_NONE_MATCH": '"x"'}],
    )
    def test_negotiation_and_conditions_go_to_drf(self, team: Any, headers: dict[str, str]) -> None:
        url = _urls(team)["list"]
        client = team.client("viewer")
        client.get(url)
        with drf_spies() as spies:
            response = client.get(url, **headers)
        assert spies["initial"].call_count == 1
        assert response.status_code == (406 if "HTTP_ACCEPT" in headers else 200)

    def test_a_milestone_list_without_its_project_is_refused_by_drf(self, team: Any) -> None:
        client = team.client("viewer")
        with drf_spies() as spies:
            response = client.get("/api/v1/milestones/?project=x")
        assert spies["initial"].call_count == 1  # no entry to read: the filter answers
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_error"

    # Committed for real: the cascade's signals move each task's generation after the commit.
    @pytest.mark.django_db(transaction=True)
    def test_a_task_the_reader_may_no_longer_see_is_404(self, team: Any) -> None:
        urls = _urls(team)
        client = team.client("viewer")
        assert client.get(urls["detail"]).status_code == 200
        # the project goes, its tasks with it, outside any command (as the admin deletes it)
        team.project.delete()
        response = client.get(urls["detail"])
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


class TestADetailHit:
    """A hit asks PostgreSQL nothing, so what it trusts instead must refuse what it would."""

    @pytest.mark.django_db(transaction=True)
    @pytest.mark.parametrize("read", ["detail", "project", "workspace"])
    def test_a_reader_removed_from_the_workspace_gets_404(self, team: Any, read: str) -> None:
        url = _urls(team)[read]
        client = team.client("viewer")
        assert client.get(url).status_code == 200
        team.viewer.memberships.all().delete()  # outside any command, committed
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    @pytest.mark.parametrize("workspaces", [[], [7], ["8"]])
    def test_an_entry_outside_the_principals_workspaces_is_declined(
        self, workspaces: list[Any]
    ) -> None:
        """The entry's own workspace is checked against the principal's, whatever the key."""
        request = fast_path.PlainRequest(HttpRequest())
        request.principal = {"workspaces": workspaces}
        trip = RoundTrip(principal=b"p", entry_key="task:1", view_recorded=True)
        stored = StoredResponse(etag='"3"', body=b"{}", meta={"version": 3, "workspace": 8})
        assert task_detail_hit(request, trip, stored) is None
        request.principal = {"workspaces": [*workspaces, 8]}
        assert task_detail_hit(request, trip, stored) is not None

    @pytest.mark.parametrize("workspaces", [[], [7], ["8"]])
    def test_a_project_outside_the_principals_workspaces_is_declined(
        self, workspaces: list[Any]
    ) -> None:
        request = fast_path.PlainRequest(HttpRequest())
        request.principal = {"workspaces": workspaces}
        stored = StoredResponse(etag='"e"', body=b"{}", meta={"workspace": 8})
        assert project_detail_hit(request, stored) is None
        request.principal = {"workspaces": [*workspaces, 8]}
        assert project_detail_hit(request, stored) is not None

    @pytest.mark.parametrize("roles", [None, {}, {"7": "owner"}, {"8": 3}, ["8"]])
    def test_a_workspace_the_principal_gives_no_role_in_is_declined(self, roles: Any) -> None:
        request = fast_path.PlainRequest(HttpRequest())
        request.principal = {"roles": roles}
        data = {"id": 8, "name": "W", "description": "", "role": "-"}
        data |= {"created_at": "t", "updated_at": "t"}
        stored = StoredResponse.unpack(representations.workspace_entry(data))
        assert stored is not None
        assert workspace_detail_hit(request, stored, 8) is None
        request.principal = {"roles": {"8": "viewer"}}
        answered = workspace_detail_hit(request, stored, 8)
        assert answered is not None and b'"role":"viewer"' in answered.content


@pytest.mark.parametrize(
    "read", ["list", "projects", "projects_of_workspace", "workspaces", "milestones"]
)
def test_a_list_stored_without_the_round_trip_is_its_hit(team: Any, read: str) -> None:
    """The key the script builds from the principal is the key the ordinary path builds in
    Python (a reader's first request, Redis skipped by the breaker): one entry, not two."""
    url = _urls(team)[read]
    client = team.client("viewer")
    with mock.patch.object(round_trip, "run", return_value=None):
        assert client.get(url).status_code == 200  # stored under the ordinary path's key

    with drf_spies() as spies, CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200

    assert spies["initial"].call_count == 0  # a hit, answered before DRF's dispatch
    assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]
