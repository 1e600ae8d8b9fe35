"""The three pagination strategies, their precedence, and constant query counts per list."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.test_errors import assert_envelope
from tests.factories import (
    CommentFactory,
    LabelFactory,
    MembershipFactory,
    ProjectFactory,
    TaskFactory,
    WorkspaceFactory,
)


@pytest.fixture
def sixty_tasks(team: Any) -> list[Any]:
    labels = [LabelFactory(workspace=team.workspace) for _ in range(3)]
    return [TaskFactory(project=team.project, labels=labels[: n % 3 + 1]) for n in range(60)]


@pytest.mark.django_db
class TestStrategies:
    def test_page_number_is_the_default(self, team: Any, sixty_tasks: list[Any]) -> None:
        body = team.client("viewer").get("/api/v1/tasks/").json()
        assert set(body) == {"count", "next", "previous", "results"}
        assert body["count"] == 60
        assert len(body["results"]) == 20
        assert body["next"].startswith("http://testserver/api/v1/tasks/?page=2")
        assert body["previous"] is None

    def test_page_size_is_capped_at_100(self, team: Any) -> None:
        for _ in range(105):
            TaskFactory(project=team.project)
        body = team.client("viewer").get("/api/v1/tasks/?page_size=500").json()
        assert len(body["results"]) == 100

    def test_limit_offset(self, team: Any, sixty_tasks: list[Any]) -> None:
        body = team.client("viewer").get("/api/v1/tasks/?limit=5&offset=10").json()
        assert body["count"] == 60
        ids = [t["id"] for t in body["results"]]
        expected = sorted((t.pk for t in sixty_tasks), reverse=True)[10:15]
        assert ids == expected
        assert parse_qs(urlsplit(body["next"]).query) == {"limit": ["5"], "offset": ["15"]}

    def test_limit_offset_uses_page_size_without_limit(
        self, team: Any, sixty_tasks: list[Any]
    ) -> None:
        body = team.client("viewer").get("/api/v1/tasks/?offset=0&page_size=7").json()
        assert len(body["results"]) == 7

    def test_cursor_walks_every_task_once(self, team: Any, sixty_tasks: list[Any]) -> None:
        client = team.client("viewer")
        url: str | None = "/api/v1/tasks/?pagination=cursor&page_size=25"
        seen: list[int] = []
        pages = 0
        while url and pages < 10:
            body = client.get(url).json()
            assert "count" not in body
            seen += [t["id"] for t in body["results"]]
            url = body["next"]
            pages += 1
        assert pages == 3
        assert seen == sorted((t.pk for t in sixty_tasks), reverse=True)

    def test_cursor_wins_over_limit_and_page(self, team: Any, sixty_tasks: list[Any]) -> None:
        body = team.client("viewer").get("/api/v1/tasks/?pagination=cursor&limit=3&page=2").json()
        assert "count" not in body
        assert len(body["results"]) == 20

    def test_limit_wins_over_page(self, team: Any, sixty_tasks: list[Any]) -> None:
        body = team.client("viewer").get("/api/v1/tasks/?limit=3&page=2").json()
        assert [t["id"] for t in body["results"]] == sorted(
            (t.pk for t in sixty_tasks), reverse=True
        )[:3]

    def test_invalid_page_and_cursor_are_404_envelopes(
        self, team: Any, sixty_tasks: list[Any]
    ) -> None:
        client = team.client("viewer")
        assert_envelope(client.get("/api/v1/tasks/?page=99"), 404, "not_found")
        assert_envelope(client.get("/api/v1/tasks/?cursor=garbage"), 404, "not_found")

    def test_cursor_respects_ordering(self, team: Any) -> None:
        tasks = [TaskFactory(project=team.project, title=f"t{n:02d}") for n in range(30)]
        client = team.client("viewer")
        first = client.get("/api/v1/tasks/?pagination=cursor&ordering=title&page_size=20").json()
        second = client.get(first["next"]).json()
        titles = [t["title"] for t in first["results"] + second["results"]]
        assert titles == sorted(t.title for t in tasks)


LIST_URLS = {
    "tasks": "/api/v1/tasks/",
    "projects": "/api/v1/projects/",
    "labels": "/api/v1/labels/",
    "workspaces": "/api/v1/workspaces/",
    "comments": "/api/v1/tasks/{task}/comments/",
    "members": "/api/v1/workspaces/{workspace}/members/",
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(LIST_URLS))
@pytest.mark.parametrize("strategy", ["", "&pagination=cursor", "&limit={size}&offset=0"])
def test_list_query_count_does_not_grow_with_page_size(team: Any, name: str, strategy: str) -> None:
    # Given: 60 of each listed object, each task with labels and comments with authors
    labels = [LabelFactory(workspace=team.workspace) for _ in range(60)]
    task = TaskFactory(project=team.project, labels=labels[:3])
    for n in range(60):
        TaskFactory(project=team.project, labels=labels[n % 5 : n % 5 + 2])
        ProjectFactory(workspace=team.workspace)
        CommentFactory(task=task)
        MembershipFactory(workspace=team.workspace)
        MembershipFactory(user=team.viewer, workspace=WorkspaceFactory())
    url = LIST_URLS[name].format(task=task.pk, workspace=team.workspace.pk)
    client = team.client("viewer")
    client.get("/api/v1/auth/me/")  # the user's principal is cached from now on (like any client's)

    # When: the same list is fetched with 5 and with 50 results per page
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{url}?page_size={size}" + strategy.format(size=size))
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        counts.append(len(queries))

    # Then: the number of SQL queries is the same
    assert counts[0] == counts[1], counts
    assert counts[0] <= 6, counts
