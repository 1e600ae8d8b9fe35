"""History, temporal queries and the audit trail, all read from the event log."""

import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from eventstore.models import Event
from tests.api.test_errors import assert_envelope
from tests.api.test_members import acquaintance
from tests.conftest import client_for
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def _create(team: Any, **fields: Any) -> dict[str, Any]:
    response = team.client("member").post(
        "/api/v1/tasks/", {"project": team.project.pk, "title": "first", **fields}, format="json"
    )
    assert response.status_code == 201
    return response.json()


def _instant_after(task_id: int, version: int) -> str:
    occurred = Event.objects.get(stream=f"task-{task_id}", version=version).occurred_at
    return (occurred + timedelta(microseconds=1)).isoformat()


class TestHistory:
    def test_history_lists_every_event_oldest_first(self, team: Any) -> None:
        task = _create(team)
        client = team.client("member")
        client.patch(
            f"/api/v1/tasks/{task['id']}/", {"title": "second", "status": "done"}, format="json"
        )
        client.post(f"/api/v1/tasks/{task['id']}/comments/", {"body": "hi"}, format="json")
        body = team.client("viewer").get(f"/api/v1/tasks/{task['id']}/history/").json()
        assert [e["type"] for e in body["results"]] == [
            "TaskCreated",
            "TaskRenamed",
            "TaskStatusChanged",
            "TaskCommented",
        ]
        assert [e["version"] for e in body["results"]] == [1, 2, 3, 4]
        assert body["results"][1]["data"] == {"title": "second", "previous_title": "first"}
        assert set(body["results"][0]) == {
            "id",
            "type",
            "stream",
            "version",
            "data",
            "actor",
            "occurred_at",
            "request_id",
        }

    def test_history_is_paginated_with_every_strategy(self, team: Any) -> None:
        task = _create(team)
        for n in range(5):
            team.client("member").patch(
                f"/api/v1/tasks/{task['id']}/", {"title": f"t{n}"}, format="json"
            )
        client = team.client("viewer")
        first = client.get(
            f"/api/v1/tasks/{task['id']}/history/?pagination=cursor&page_size=4"
        ).json()
        second = client.get(first["next"]).json()
        assert [e["version"] for e in first["results"] + second["results"]] == [1, 2, 3, 4, 5, 6]
        limited = client.get(f"/api/v1/tasks/{task['id']}/history/?limit=2&offset=4").json()
        assert [e["version"] for e in limited["results"]] == [5, 6]

    def test_deleted_tasks_keep_their_history(self, team: Any) -> None:
        task = _create(team)
        team.client("owner").delete(f"/api/v1/tasks/{task['id']}/")
        body = team.client("viewer").get(f"/api/v1/tasks/{task['id']}/history/").json()
        assert [e["type"] for e in body["results"]] == ["TaskCreated", "TaskDeleted"]

    def test_outsiders_and_unknown_tasks_get_404(self, team: Any) -> None:
        task = _create(team)
        assert_envelope(
            team.client("outsider").get(f"/api/v1/tasks/{task['id']}/history/"), 404, "not_found"
        )
        assert_envelope(
            team.client("member").get("/api/v1/tasks/999999/history/"), 404, "not_found"
        )


class TestAsOf:
    def test_each_instant_shows_the_state_then(self, team: Any) -> None:
        task = _create(team, priority="low")
        client = team.client("member")
        client.patch(f"/api/v1/tasks/{task['id']}/", {"title": "renamed"}, format="json")
        client.patch(f"/api/v1/tasks/{task['id']}/", {"status": "done"}, format="json")
        at_v1 = client.get(f"/api/v1/tasks/{task['id']}/", {"as_of": _instant_after(task["id"], 1)})
        at_v2 = client.get(f"/api/v1/tasks/{task['id']}/", {"as_of": _instant_after(task["id"], 2)})
        now = client.get(f"/api/v1/tasks/{task['id']}/").json()
        assert (at_v1.json()["title"], at_v1.json()["status"], at_v1.json()["version"]) == (
            "first",
            "todo",
            1,
        )
        assert at_v1["ETag"] == '"1"'
        assert (at_v2.json()["title"], at_v2.json()["status"]) == ("renamed", "todo")
        assert at_v1.json()["priority"] == "low"
        latest = client.get(
            f"/api/v1/tasks/{task['id']}/", {"as_of": timezone.now().isoformat()}
        ).json()
        assert latest == now

    def test_before_creation_is_404(self, team: Any) -> None:
        task = _create(team)
        before = (timezone.now() - timedelta(days=1)).isoformat()
        response = team.client("member").get(f"/api/v1/tasks/{task['id']}/", {"as_of": before})
        assert_envelope(response, 404, "not_found")

    def test_after_deletion_is_410(self, team: Any) -> None:
        task = _create(team)
        team.client("owner").delete(f"/api/v1/tasks/{task['id']}/")
        time.sleep(0.001)
        response = team.client("member").get(
            f"/api/v1/tasks/{task['id']}/", {"as_of": timezone.now().isoformat()}
        )
        assert_envelope(response, 410, "gone")
        alive = team.client("member").get(
            f"/api/v1/tasks/{task['id']}/", {"as_of": _instant_after(task["id"], 1)}
        )
        assert alive.status_code == 200

    @pytest.mark.parametrize("offset", ["+02:00", "+0200", "+02"])
    def test_an_unencoded_plus_in_the_offset_reads_as_typed(self, team: Any, offset: str) -> None:
        # Given: a renamed task, and the instant between its two versions in UTC+2, written
        # into the URL as a user types it (the query string decodes that "+" to a space)
        task = _create(team)
        client = team.client("member")
        client.patch(f"/api/v1/tasks/{task['id']}/", {"title": "renamed"}, format="json")
        occurred = Event.objects.get(stream=f"task-{task['id']}", version=1).occurred_at
        local = (occurred + timedelta(hours=2, microseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")

        # When: the unencoded and the encoded forms are asked for
        typed = client.get(f"/api/v1/tasks/{task['id']}/?as_of={local}{offset}")
        encoded = client.get(f"/api/v1/tasks/{task['id']}/", {"as_of": f"{local}{offset}"})

        # Then: both show version 1, the state at that instant
        assert typed.status_code == 200, typed.content
        assert typed.json() == encoded.json()
        assert (typed.json()["title"], typed.json()["version"]) == ("first", 1)

    def test_an_invalid_instant_says_how_to_write_one(self, team: Any) -> None:
        task = _create(team)
        response = team.client("member").get(f"/api/v1/tasks/{task['id']}/?as_of=noon")
        [message] = assert_envelope(response, 400, "validation_error")["details"]["as_of"]
        assert "2026-12-04T10:00:00+01:00" in message
        assert "%2B" in message

    @pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T00:00:00Z", "", "1' OR 1=1"])
    def test_invalid_instant_is_400(self, team: Any, bad: str) -> None:
        task = _create(team)
        response = team.client("member").get(f"/api/v1/tasks/{task['id']}/", {"as_of": bad})
        assert "as_of" in assert_envelope(response, 400, "validation_error")["details"]

    def test_outsider_gets_404(self, team: Any) -> None:
        task = _create(team)
        response = team.client("outsider").get(
            f"/api/v1/tasks/{task['id']}/", {"as_of": timezone.now().isoformat()}
        )
        assert_envelope(response, 404, "not_found")


class TestAudit:
    def _url(self, team: Any) -> str:
        return f"/api/v1/workspaces/{team.workspace.pk}/audit/"

    @pytest.mark.parametrize(
        ("role", "status"),
        [("owner", 200), ("admin", 200), ("member", 403), ("viewer", 403), ("outsider", 404)],
    )
    def test_owners_and_admins_only(self, team: Any, role: str, status: int) -> None:
        assert team.client(role).get(self._url(team)).status_code == status

    def test_covers_tasks_members_and_projects_newest_first(self, team: Any) -> None:
        # a user the owner knows from another workspace, so the addition is direct (MemberAdded)
        newcomer = acquaintance(team)
        owner = team.client("owner")
        owner.post(
            f"/api/v1/workspaces/{team.workspace.pk}/members/",
            {"user": newcomer.pk, "role": "viewer"},
            format="json",
        )
        owner.post(
            "/api/v1/projects/", {"workspace": team.workspace.pk, "name": "Audit me"}, format="json"
        )
        _create(team)
        body = owner.get(self._url(team), HTTP_USER_AGENT="x").json()
        types = [e["type"] for e in body["results"]]
        assert types[:3] == ["TaskCreated", "ProjectCreated", "MemberAdded"]
        member_added = body["results"][2]
        assert member_added["data"] == {"user_id": newcomer.pk, "role": "viewer"}
        assert member_added["actor"] == team.owner.pk
        assert {"ip_address", "user_agent", "correlation_id", "causation_id"} <= set(member_added)

    def test_filters_by_actor_type_and_time(self, team: Any) -> None:
        _create(team)
        start = timezone.now().isoformat()
        team.client("owner").post(
            "/api/v1/projects/", {"workspace": team.workspace.pk, "name": "P"}, format="json"
        )
        owner = team.client("owner")
        by_actor = owner.get(self._url(team), {"actor": team.member.pk}).json()["results"]
        assert {e["actor"] for e in by_actor} == {team.member.pk}
        by_type = owner.get(self._url(team), {"type": "ProjectCreated,TaskCreated"}).json()[
            "results"
        ]
        assert [e["type"] for e in by_type] == ["ProjectCreated", "TaskCreated"]
        since = owner.get(self._url(team), {"since": start}).json()["results"]
        assert [e["type"] for e in since] == ["ProjectCreated"]
        until = owner.get(self._url(team), {"until": start}).json()["results"]
        assert "ProjectCreated" not in [e["type"] for e in until]
        assert_envelope(owner.get(self._url(team), {"since": "soon"}), 400, "validation_error")

    def test_other_workspaces_events_never_appear(self, team: Any) -> None:
        other = ProjectFactory()
        team.client("owner").post(
            "/api/v1/projects/", {"workspace": team.workspace.pk, "name": "Mine"}, format="json"
        )
        results = team.client("owner").get(self._url(team)).json()["results"]
        assert all(e["stream"] != f"project-{other.pk}" for e in results)
        assert {e["stream"].split("-")[0] for e in results} <= {
            "project",
            "workspace",
            "task",
            "label",
        }


@pytest.mark.django_db
class TestHistoryOfDeletedComments:
    def test_a_member_who_joined_after_the_deletion_does_not_read_the_body(self, team: Any) -> None:
        # Given a comment written, edited and deleted through the API
        member = team.client("member")
        task = member.post(
            "/api/v1/tasks/", {"project": team.project.pk, "title": "t"}, format="json"
        ).json()
        comments = f"/api/v1/tasks/{task['id']}/comments/"
        comment = member.post(comments, {"body": "the secret plan"}, format="json").json()
        member.patch(f"{comments}{comment['id']}/", {"body": "still secret"}, format="json")
        assert member.delete(f"{comments}{comment['id']}/").status_code == 204

        # When someone joins the workspace afterwards and reads the history
        newcomer = UserFactory()
        invited = team.client("owner").post(
            f"/api/v1/workspaces/{team.workspace.pk}/members/",
            {"user": newcomer.pk, "role": "viewer"},
            format="json",
        )
        accepted = client_for(newcomer).post(f"/api/v1/invitations/{invited.json()['id']}/accept/")
        assert accepted.status_code == 201
        history = f"/api/v1/tasks/{task['id']}/history/"
        seen_late = client_for(newcomer).get(history).json()["results"]
        seen_then = member.get(history).json()["results"]

        # Then the newcomer sees that comments happened, not what they said; the author does
        def bodies(events: list[dict[str, Any]]) -> list[str]:
            return [e["data"]["body"] for e in events if "body" in e["data"]]

        assert bodies(seen_late) == ["[deleted]", "[deleted]"]
        assert bodies(seen_then) == ["the secret plan", "still secret"]
        # and nothing was changed in the store
        assert Event.objects.filter(data__body="the secret plan").count() == 1
