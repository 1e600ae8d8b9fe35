"""Milestone changes reach the sockets that follow the milestone's project: through the outbox and
the relay, in version order, with the request id of the REST call that made them."""

from typing import Any

import pytest

from tests.factories import ProjectFactory
from tests.realtime.conftest import connected, in_sync, publish, receive_all, run, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def _milestone_events(messages: list[Any]) -> list[Any]:
    """The milestone events among the messages (a Redis channel layer's groups are server-wide:
    another stack on the same server may publish task events to a project of the same id)."""
    return [
        m["event"]
        for m in messages
        if m["type"] == "event" and m["event"]["stream"].startswith("milestone-")
    ]


def _write(team: Any, role: str, method: str, path: str, body: Any, rid: str) -> Any:
    response = getattr(team.client(role), method)(path, body, format="json", HTTP_X_REQUEST_ID=rid)
    assert response.status_code in (200, 201, 204), response.content
    return response.json() if response.content else None


def test_rest_writes_of_a_milestone_arrive_in_order(team: Any) -> None:
    async def scenario() -> None:
        # Given a viewer subscribed to the project
        viewer = await connected(team.viewer)
        assert await subscribe(viewer, team.project.pk) == {
            "type": "subscribed",
            "project": team.project.pk,
        }

        # When a member creates a milestone and moves its date, and an admin deletes it
        write = in_sync(_write)
        created = await write(
            team,
            "member",
            "post",
            "/api/v1/milestones/",
            {"project": team.project.pk, "name": "Beta", "due_date": "2027-03-31"},
            "rid-create",
        )
        path = f"/api/v1/milestones/{created['id']}/"
        await write(team, "member", "patch", path, {"due_date": "2027-04-30"}, "rid-move")
        await write(team, "admin", "delete", path, None, "rid-delete")
        assert await publish() == 3

        # Then the socket gets the three events of the milestone's stream, in version order
        events = _milestone_events(await receive_all(viewer))
        assert [
            (e["type"], e["stream"], e["version"], e["request_id"], e["data"]) for e in events
        ] == [
            (
                "MilestoneCreated",
                f"milestone-{created['id']}",
                1,
                "rid-create",
                {
                    "id": created["id"],
                    "project_id": team.project.pk,
                    "name": "Beta",
                    "due_date": "2027-03-31",
                    "description": "",
                },
            ),
            (
                "MilestoneUpdated",
                f"milestone-{created['id']}",
                2,
                "rid-move",
                {"due_date": "2027-04-30"},
            ),
            ("MilestoneDeleted", f"milestone-{created['id']}", 3, "rid-delete", {"name": "Beta"}),
        ]
        await viewer.disconnect()

    run(scenario)


def test_only_the_subscribed_projects_milestones_arrive(team: Any) -> None:
    other = ProjectFactory(workspace=team.workspace)

    async def scenario() -> None:
        member = await connected(team.member)
        await subscribe(member, team.project.pk)

        write = in_sync(_write)
        body = {"name": "Beta", "due_date": "2027-03-31"}
        await write(
            team, "member", "post", "/api/v1/milestones/", {**body, "project": other.pk}, "a"
        )
        mine = await write(
            team, "member", "post", "/api/v1/milestones/", {**body, "project": team.project.pk}, "b"
        )
        await publish()

        events = _milestone_events(await receive_all(member))
        assert [e["stream"] for e in events] == [f"milestone-{mine['id']}"]
        await member.disconnect()

    run(scenario)
