"""No user is ever served another user's data from the cache: visibility is checked on every read
(against the user's cached principal, moved by every membership change, or for a task against
PostgreSQL) and is part of every list key."""

from typing import Any

import pytest

from caching import write_through
from tests.conftest import client_for, requires_redis
from tests.factories import MembershipFactory, ProjectFactory, TaskFactory, UserFactory
from workspaces.models import Membership, Role

pytestmark = [pytest.mark.django_db, requires_redis]


@pytest.fixture
def two_teams(team: Any) -> dict[str, Any]:
    """Alice in the team's workspace, Bob in another; one task each, both cached."""
    bob_project = ProjectFactory()
    bob = MembershipFactory(workspace=bob_project.workspace, role=Role.OWNER).user
    world = {
        "alice": team.member,
        "bob": bob,
        "alice_task": TaskFactory(project=team.project, title="Alice's"),
        "bob_task": TaskFactory(project=bob_project, title="Bob's"),
        "alice_project": team.project,
        "bob_project": bob_project,
    }
    return world


URLS = [
    "/api/v1/tasks/",
    "/api/v1/tasks/?page_size=5",
    "/api/v1/projects/",
    "/api/v1/workspaces/",
]


@pytest.mark.parametrize("url", URLS)
def test_the_same_list_url_answers_each_user_with_their_own_data(
    two_teams: dict[str, Any], url: str
) -> None:
    # given Alice's answer is cached
    alice = client_for(two_teams["alice"]).get(url).json()

    # when Bob asks for the same URL
    bob = client_for(two_teams["bob"]).get(url).json()

    # then neither sees the other's objects
    assert alice["results"] and bob["results"]
    assert {r["id"] for r in alice["results"]}.isdisjoint({r["id"] for r in bob["results"]})


def test_a_cached_task_or_project_of_another_workspace_is_404(two_teams: dict[str, Any]) -> None:
    alice, bob = client_for(two_teams["alice"]), client_for(two_teams["bob"])
    task = f"/api/v1/tasks/{two_teams['alice_task'].pk}/"
    project = f"/api/v1/projects/{two_teams['alice_project'].pk}/"
    workspace = f"/api/v1/workspaces/{two_teams['alice_project'].workspace_id}/"
    for url in (task, project, workspace):
        assert alice.get(url).status_code == 200  # now cached
        assert bob.get(url).status_code == 404, url
        assert bob.get(url, HTTP_IF_NONE_MATCH="*").status_code == 404, url


def test_filtering_on_another_users_project_stays_empty(two_teams: dict[str, Any]) -> None:
    url = f"/api/v1/tasks/?project={two_teams['alice_project'].pk}"
    assert client_for(two_teams["alice"]).get(url).json()["count"] == 1
    assert client_for(two_teams["bob"]).get(url).json()["count"] == 0


def test_a_removed_member_stops_seeing_cached_data_at_once(team: Any) -> None:
    # given a member whose reads are cached
    task = TaskFactory(project=team.project)
    member = team.client("member")
    urls = ["/api/v1/tasks/", f"/api/v1/tasks/{task.pk}/", "/api/v1/projects/"]
    for url in urls:
        assert member.get(url).status_code == 200

    # when an admin removes them
    response = team.client("admin").delete(
        f"/api/v1/workspaces/{team.workspace.pk}/members/{team.member.pk}/"
    )
    assert response.status_code == 204

    # then none of it is served to them any more, though it is still cached for the others
    assert member.get("/api/v1/tasks/").json()["count"] == 0
    assert member.get(f"/api/v1/tasks/{task.pk}/").status_code == 404
    assert member.get("/api/v1/projects/").json()["count"] == 0
    assert team.client("viewer").get("/api/v1/tasks/").json()["count"] == 1


def test_a_membership_changed_behind_the_api_is_seen_at_once(team: Any) -> None:
    # given an outsider, then a raw membership insert (a bulk tool), then its deletion
    task = TaskFactory(project=team.project)
    outsider = team.client("outsider")
    assert outsider.get("/api/v1/tasks/").json()["count"] == 0
    membership = Membership.objects.create(
        workspace=team.workspace, user=team.outsider, role=Role.VIEWER
    )
    assert outsider.get("/api/v1/tasks/").json()["count"] == 1
    assert outsider.get(f"/api/v1/tasks/{task.pk}/").status_code == 200
    Membership.objects.filter(pk=membership.pk).delete()
    assert outsider.get("/api/v1/tasks/").json()["count"] == 0
    assert outsider.get(f"/api/v1/tasks/{task.pk}/").status_code == 404


def test_a_role_change_changes_the_cached_workspace_list(team: Any) -> None:
    client = team.client("viewer")
    assert client.get("/api/v1/workspaces/").json()["results"][0]["role"] == "viewer"
    membership = Membership.objects.get(user=team.viewer)
    membership.role = Role.ADMIN  # an admin edit, a data fix: save() sends the signal
    membership.save()
    assert client.get("/api/v1/workspaces/").json()["results"][0]["role"] == "admin"


def test_a_bulk_role_change_is_seen_once_the_tool_invalidates(team: Any) -> None:
    # QuerySet.update() sends no signal: a bulk tool names the users it changed (signals.py)
    client = team.client("viewer")
    assert client.get("/api/v1/workspaces/").json()["results"][0]["role"] == "viewer"
    Membership.objects.filter(user=team.viewer).update(role=Role.ADMIN)
    write_through.principal_written(user_id=team.viewer.pk)
    assert client.get("/api/v1/workspaces/").json()["results"][0]["role"] == "admin"


def test_a_bulk_delete_of_memberships_hides_the_workspace_at_once(team: Any) -> None:
    # QuerySet.delete() sends post_delete per row while a receiver listens: no tool can forget
    TaskFactory(project=team.project)
    client = team.client("viewer")
    assert client.get("/api/v1/tasks/").json()["count"] == 1
    Membership.objects.filter(user=team.viewer).delete()
    assert client.get("/api/v1/tasks/").json()["count"] == 0
    assert client.get(f"/api/v1/workspaces/{team.workspace.pk}/").status_code == 404


def test_users_with_the_same_memberships_share_entries(team: Any, lookups: Any) -> None:
    # viewers and owners of one workspace see the same tasks: one entry serves both
    TaskFactory(project=team.project)
    team.client("viewer").get("/api/v1/tasks/")
    team.client("owner").get("/api/v1/tasks/")
    assert lookups("task_list", "hit") == 1
    # a user who belongs to one more workspace gets an entry of their own
    extra = MembershipFactory(workspace=team.workspace, user=UserFactory()).user
    MembershipFactory(user=extra)
    client_for(extra).get("/api/v1/tasks/")
    assert lookups("task_list", "miss") == 2
