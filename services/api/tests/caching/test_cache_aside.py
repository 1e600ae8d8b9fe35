"""Cache-aside on the API's reads: a miss fills the entry, the next read is a hit that costs no
query of the data, and a client always reads its own writes."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caching import generations, keys, store
from tasks import cache_keys as task_keys
from tests.caching.conftest import Lookups
from tests.conftest import requires_redis
from tests.factories import LabelFactory, ProjectFactory, TaskFactory

pytestmark = [pytest.mark.django_db, requires_redis]


def _queries(client: Any, url: str) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


class TestTaskDetail:
    def test_second_read_is_a_hit_without_reading_the_task(
        self, team: Any, lookups: Lookups
    ) -> None:
        # given a task with labels
        task = TaskFactory(project=team.project, labels=[LabelFactory(workspace=team.workspace)])
        client = team.client("viewer")

        # when it is read twice
        first, miss_queries = _queries(client, f"/api/v1/tasks/{task.pk}/")
        second, hit_queries = _queries(client, f"/api/v1/tasks/{task.pk}/")

        # then the same answer comes back, from PostgreSQL and then from Redis
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
        assert first["ETag"] == second["ETag"] == f'"{task.version}"'
        assert (lookups("task_detail", "miss"), lookups("task_detail", "hit")) == (1, 1)
        # the hit asks PostgreSQL nothing: who the user is and which workspaces they see come
        # from the cached principal (caching/principals.py), the task from its current entry
        assert hit_queries == 0
        assert hit_queries < miss_queries

    def test_the_writer_reads_its_own_write(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        client = team.client("member")
        client.get(f"/api/v1/tasks/{task.pk}/")

        client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "Renamed"}, format="json")
        body = client.get(f"/api/v1/tasks/{task.pk}/").json()

        assert body["title"] == "Renamed"
        assert body["version"] == task.version + 1

    def test_another_reader_sees_the_write_too(self, team: Any) -> None:
        task = TaskFactory(project=team.project)
        team.client("viewer").get(f"/api/v1/tasks/{task.pk}/")

        team.client("member").patch(f"/api/v1/tasks/{task.pk}/", {"status": "done"}, format="json")

        assert team.client("viewer").get(f"/api/v1/tasks/{task.pk}/").json()["status"] == "done"

    def test_a_deleted_task_is_gone_at_once(self, team: Any) -> None:
        task = TaskFactory(project=team.project, created_by=team.member)
        client = team.client("member")
        client.get(f"/api/v1/tasks/{task.pk}/")

        assert client.delete(f"/api/v1/tasks/{task.pk}/").status_code == 204

        assert client.get(f"/api/v1/tasks/{task.pk}/").status_code == 404

    def test_an_entry_older_than_the_database_is_never_served(self, team: Any) -> None:
        # given an entry of version 1 under the current generations, the task being at version 2
        task = TaskFactory(project=team.project, version=2)
        entry_key, _ = generations.resolve(
            task_keys.task_detail_key(task.pk),
            [keys.epoch_key(), task_keys.task_generation_key(task.pk)],
        )
        store.put(entry_key, {"version": 1, "data": {"title": "old"}}, 60)

        # when the task is read, then the database's version is answered
        response = team.client("viewer").get(f"/api/v1/tasks/{task.pk}/")
        assert response.json()["version"] == 2
        assert response.json()["title"] == task.title
        assert response["ETag"] == '"2"'

    def test_as_of_reads_are_not_cached(self, team: Any, lookups: Lookups) -> None:
        task = TaskFactory(project=team.project)
        instant = task.updated_at.isoformat().replace("+00:00", "Z")
        response = team.client("viewer").get(f"/api/v1/tasks/{task.pk}/", {"as_of": instant})
        assert response.status_code == 200
        assert lookups("task_detail", "miss") + lookups("task_detail", "hit") == 0


class TestTaskList:
    def test_second_read_is_a_hit_whatever_the_page_size(self, team: Any, lookups: Lookups) -> None:
        for _ in range(30):
            TaskFactory(project=team.project)
        client = team.client("viewer")
        url = f"/api/v1/tasks/?project={team.project.pk}&page_size=25"

        first, _ = _queries(client, url)
        second, hit_queries = _queries(client, url)

        assert first.json() == second.json()
        assert len(second.json()["results"]) == 25
        assert (lookups("task_list", "miss"), lookups("task_list", "hit")) == (1, 1)
        # nothing at all: the user and their memberships come from the cached principal
        assert hit_queries == 0

    def test_a_created_task_appears_in_the_next_read(self, team: Any) -> None:
        client = team.client("member")
        url = f"/api/v1/tasks/?project={team.project.pk}"
        assert client.get(url).json()["count"] == 0

        client.post("/api/v1/tasks/", {"project": team.project.pk, "title": "New"}, format="json")

        assert client.get(url).json()["count"] == 1
        assert client.get("/api/v1/tasks/").json()["count"] == 1
        assert client.get(f"/api/v1/tasks/?workspace={team.workspace.pk}").json()["count"] == 1

    def test_a_change_in_another_project_keeps_this_projects_list(
        self, team: Any, lookups: Lookups
    ) -> None:
        # given the lists of two projects of one workspace, both cached
        other = ProjectFactory(workspace=team.workspace)
        task = TaskFactory(project=other)
        TaskFactory(project=team.project)
        client = team.client("member")
        client.get(f"/api/v1/tasks/?project={team.project.pk}")
        client.get(f"/api/v1/tasks/?project={other.pk}")

        # when a task of the other project changes
        client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "Changed"}, format="json")

        # then this project's list is still a hit, and the other's list is refilled
        before = lookups("task_list", "hit")
        client.get(f"/api/v1/tasks/?project={team.project.pk}")
        assert lookups("task_list", "hit") == before + 1
        body = client.get(f"/api/v1/tasks/?project={other.pk}").json()
        assert body["results"][0]["title"] == "Changed"

    def test_filters_and_pagination_are_separate_entries(self, team: Any) -> None:
        TaskFactory(project=team.project, status="done")
        TaskFactory(project=team.project, status="todo")
        client = team.client("viewer")
        done = client.get("/api/v1/tasks/?status=done").json()
        todo = client.get("/api/v1/tasks/?status=todo").json()
        cursor = client.get("/api/v1/tasks/?pagination=cursor&page_size=1").json()
        assert [t["status"] for t in done["results"]] == ["done"]
        assert [t["status"] for t in todo["results"]] == ["todo"]
        assert "count" not in cursor
        assert cursor["next"].startswith("http://testserver/api/v1/tasks/?")

    def test_errors_are_not_cached(self, team: Any) -> None:
        client = team.client("viewer")
        assert client.get("/api/v1/tasks/?project=abc").status_code == 400
        assert client.get("/api/v1/tasks/?page=9").status_code == 404
        TaskFactory(project=team.project)
        assert client.get("/api/v1/tasks/?page=1").status_code == 200


class TestProjectsAndWorkspaces:
    def test_project_reads_are_hits_and_follow_updates(self, team: Any, lookups: Lookups) -> None:
        client = team.client("admin")
        detail = f"/api/v1/projects/{team.project.pk}/"
        for _ in range(2):
            assert client.get(detail).status_code == 200
            assert client.get("/api/v1/projects/").status_code == 200
        assert lookups("project_detail", "hit") == lookups("project_list", "hit") == 1

        client.patch(detail, {"name": "Renamed"}, format="json")

        assert client.get(detail).json()["name"] == "Renamed"
        assert client.get("/api/v1/projects/").json()["results"][0]["name"] == "Renamed"

    def test_created_and_deleted_projects_show_at_once(self, team: Any) -> None:
        client = team.client("admin")
        url = f"/api/v1/projects/?workspace={team.workspace.pk}"
        assert client.get(url).json()["count"] == 1
        created = client.post(
            "/api/v1/projects/", {"workspace": team.workspace.pk, "name": "P2"}, format="json"
        ).json()
        assert client.get(url).json()["count"] == 2
        assert client.get(f"/api/v1/projects/{created['id']}/").status_code == 200

        client.delete(f"/api/v1/projects/{created['id']}/")

        assert client.get(url).json()["count"] == 1
        assert client.get(f"/api/v1/projects/{created['id']}/").status_code == 404

    def test_workspace_reads_are_hits_and_follow_updates(self, team: Any, lookups: Lookups) -> None:
        client = team.client("admin")
        detail = f"/api/v1/workspaces/{team.workspace.pk}/"
        for _ in range(2):
            client.get(detail)
            client.get("/api/v1/workspaces/")
        assert lookups("workspace_detail", "hit") == lookups("workspace_list", "hit") == 1

        client.patch(detail, {"name": "Renamed"}, format="json")

        assert client.get(detail).json()["name"] == "Renamed"
        assert client.get("/api/v1/workspaces/").json()["results"][0]["name"] == "Renamed"

    def test_a_new_workspace_is_listed_at_once(self, team: Any) -> None:
        client = team.client("member")
        assert client.get("/api/v1/workspaces/").json()["count"] == 1
        created = client.post("/api/v1/workspaces/", {"name": "Mine"}, format="json").json()
        assert client.get("/api/v1/workspaces/").json()["count"] == 2
        assert client.get(f"/api/v1/workspaces/{created['id']}/").json()["role"] == "owner"

    def test_each_reader_gets_their_own_role_from_one_entry(
        self, team: Any, lookups: Lookups
    ) -> None:
        detail = f"/api/v1/workspaces/{team.workspace.pk}/"
        roles = {role: team.client(role).get(detail).json()["role"] for role in ("owner", "viewer")}
        assert roles == {"owner": "owner", "viewer": "viewer"}
        assert lookups("workspace_detail", "hit") == 1


def test_caching_off_reads_postgresql_every_time(
    team: Any, settings: Any, lookups: Lookups
) -> None:
    settings.CACHE_ENABLED = False
    task = TaskFactory(project=team.project)
    client = team.client("viewer")
    for _ in range(2):
        assert client.get(f"/api/v1/tasks/{task.pk}/").status_code == 200
        assert client.get("/api/v1/tasks/").json()["count"] == 1
    assert sum(lookups(c, r) for c in ("task_detail", "task_list") for r in ("hit", "miss")) == 0
