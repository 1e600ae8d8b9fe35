"""ETags on cached reads; If-None-Match answered with 304 before anything is rendered."""

from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.serializers import TaskSerializer
from tests.conftest import requires_redis
from tests.factories import LabelFactory, TaskFactory
from workspaces.serializers import ProjectSerializer

pytestmark = [pytest.mark.django_db, requires_redis]

NOT_RENDERED = mock.patch.object(
    TaskSerializer, "to_representation", side_effect=AssertionError("rendered")
)


class TestTaskDetail:
    def test_if_none_match_with_the_version_is_304_without_rendering(self, team: Any) -> None:
        # given a task whose ETag the client holds (nothing cached: the cache is empty)
        task = TaskFactory(project=team.project, labels=[LabelFactory(workspace=team.workspace)])
        client = team.client("viewer")
        etag = f'"{task.version}"'

        # when it asks again with If-None-Match
        with NOT_RENDERED, CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/tasks/{task.pk}/", HTTP_IF_NONE_MATCH=etag)

        # then 304, with the ETag and no body, after three queries: the user and their
        # memberships (cached from now on, caching/principals.py) and the task's version
        assert response.status_code == 304
        assert response["ETag"] == etag
        assert response.content == b""
        assert len(queries) == 3

    def test_a_stale_etag_gets_the_new_representation(self, team: Any) -> None:
        task = TaskFactory(project=team.project, version=2)
        response = team.client("viewer").get(f"/api/v1/tasks/{task.pk}/", HTTP_IF_NONE_MATCH='"1"')
        assert response.status_code == 200
        assert response["ETag"] == '"2"'
        assert response["Cache-Control"] == "private, no-cache"

    @pytest.mark.parametrize("header", ['W/"1"', '"7", "1"', "*"])
    def test_weak_lists_and_star_match(self, team: Any, header: str) -> None:
        task = TaskFactory(project=team.project)
        response = team.client("viewer").get(f"/api/v1/tasks/{task.pk}/", HTTP_IF_NONE_MATCH=header)
        assert response.status_code == 304

    def test_the_etag_still_works_for_if_match(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        client = team.client("member")
        etag = client.get(f"/api/v1/tasks/{task.pk}/")["ETag"]
        ok = client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "x"}, HTTP_IF_MATCH=etag)
        stale = client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "y"}, HTTP_IF_MATCH=etag)
        assert (ok.status_code, stale.status_code) == (200, 412)


class TestLists:
    def test_a_list_etag_is_answered_304_without_rendering_or_querying_the_list(
        self, team: Any
    ) -> None:
        # given a cached list page and its ETag
        for _ in range(3):
            TaskFactory(project=team.project)
        client = team.client("viewer")
        first = client.get("/api/v1/tasks/")
        etag = first["ETag"]
        assert etag.startswith('"') and len(etag) == 34

        # when the client revalidates it
        with NOT_RENDERED, CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/tasks/", HTTP_IF_NONE_MATCH=etag)

        # then 304 without a query: the user and the memberships come from the cached principal
        assert response.status_code == 304
        assert response["ETag"] == etag
        assert len(queries) == 0

    def test_a_write_changes_the_list_etag(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        client = team.client("member")
        etag = client.get("/api/v1/tasks/")["ETag"]
        client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "New"}, format="json")
        response = client.get("/api/v1/tasks/", HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200
        assert response["ETag"] != etag
        assert response.json()["results"][0]["title"] == "New"

    def test_the_etag_names_the_content_not_the_user(self, team: Any) -> None:
        TaskFactory(project=team.project)
        viewer = team.client("viewer").get("/api/v1/tasks/")
        owner = team.client("owner").get("/api/v1/tasks/")
        assert viewer["ETag"] == owner["ETag"]

    def test_projects_and_workspaces_have_etags_too(self, team: Any) -> None:
        client = team.client("viewer")
        for url in (
            "/api/v1/projects/",
            f"/api/v1/projects/{team.project.pk}/",
            "/api/v1/workspaces/",
            f"/api/v1/workspaces/{team.workspace.pk}/",
        ):
            etag = client.get(url)["ETag"]
            with mock.patch.object(
                ProjectSerializer, "to_representation", side_effect=AssertionError("rendered")
            ):
                assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304, url

    def test_a_workspace_etag_differs_per_role(self, team: Any) -> None:
        url = f"/api/v1/workspaces/{team.workspace.pk}/"
        assert team.client("viewer").get(url)["ETag"] != team.client("owner").get(url)["ETag"]


def test_304_also_works_with_caching_off(team: Any, settings: Any) -> None:
    settings.CACHE_ENABLED = False
    TaskFactory(project=team.project)
    client = team.client("viewer")
    etag = client.get("/api/v1/tasks/")["ETag"]
    assert client.get("/api/v1/tasks/", HTTP_IF_NONE_MATCH=etag).status_code == 304
