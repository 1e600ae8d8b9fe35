"""The cached milestone list (milestones/reads.py): a miss then hits, every change visible at the
writer's next read, nobody served another's entry, and the changes that bypass the milestone
commands (the admin, a deleted project or workspace, a moved project) invalidating too."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from milestones.models import Milestone
from tests.caching.conftest import cache_count
from tests.conftest import client_for, requires_redis
from tests.factories import MembershipFactory, MilestoneFactory, WorkspaceFactory
from workspaces import commands as workspace_commands
from workspaces.models import Role

pytestmark = [pytest.mark.django_db, requires_redis]

CACHE = "milestone_list"


class Lookups:
    def __init__(self) -> None:
        self.start = {result: cache_count(CACHE, result) for result in ("hit", "miss")}

    def __call__(self, result: str) -> int:
        return int(cache_count(CACHE, result) - self.start[result])


def url(project_id: int) -> str:
    return f"/api/v1/milestones/?project={project_id}"


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


@pytest.fixture
def reader(team: Any) -> Any:
    """The member's client, with the list cached and the principal warm."""
    MilestoneFactory(project=team.project, name="Alpha", due_date="2027-01-01")
    client = team.client("member")
    assert names(client.get(url(team.project.pk))) == ["Alpha"]
    return client


def test_a_miss_then_hits_without_a_query(team: Any) -> None:
    MilestoneFactory(project=team.project, name="Alpha")
    client = team.client("member")
    lookups = Lookups()

    first = client.get(url(team.project.pk))
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url(team.project.pk))

    assert (lookups("miss"), lookups("hit")) == (1, 1)
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert len(queries) == 0, [q["sql"] for q in queries]


def test_if_none_match_with_the_etag_is_304(reader: Any, team: Any) -> None:
    etag = reader.get(url(team.project.pk))["ETag"]

    response = reader.get(url(team.project.pk), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response.content == b""


def test_the_writer_reads_each_of_its_writes(reader: Any, team: Any) -> None:
    created = reader.post(
        "/api/v1/milestones/",
        {"project": team.project.pk, "name": "Beta", "due_date": "2027-02-01"},
        format="json",
    ).json()
    assert names(reader.get(url(team.project.pk))) == ["Alpha", "Beta"]

    reader.patch(f"/api/v1/milestones/{created['id']}/", {"name": "Beta 2"}, format="json")
    assert names(reader.get(url(team.project.pk))) == ["Alpha", "Beta 2"]

    team.client("admin").delete(f"/api/v1/milestones/{created['id']}/")
    assert names(reader.get(url(team.project.pk))) == ["Alpha"]


def test_readers_of_other_workspaces_never_get_the_entry(reader: Any, team: Any) -> None:
    # given the member's answer is cached; a user of another workspace asks the same URL
    stranger = MembershipFactory(workspace=WorkspaceFactory(), role=Role.OWNER).user

    # then the stranger gets an empty page, and a member who joins sees the list at once
    assert names(client_for(stranger).get(url(team.project.pk))) == []
    MembershipFactory(workspace=team.workspace, user=stranger, role=Role.VIEWER)
    assert names(client_for(stranger).get(url(team.project.pk))) == ["Alpha"]


def test_an_admin_edit_behind_the_api_is_seen(reader: Any, team: Any) -> None:
    # a save outside the commands, as the admin or a bulk tool does it (receivers.py)
    milestone = Milestone.objects.get()
    milestone.name = "Alpha (renamed in the admin)"
    milestone.save()
    assert names(reader.get(url(team.project.pk))) == ["Alpha (renamed in the admin)"]

    milestone.delete()
    assert names(reader.get(url(team.project.pk))) == []


def test_a_deleted_project_takes_its_cached_milestones_along(reader: Any, team: Any) -> None:
    # given the member keeps their workspace: the key (their visible workspaces) stays the same
    project_id = team.project.pk

    # when the project is deleted by its command, which knows nothing of milestones
    workspace_commands.project_delete(actor=team.admin, project=team.project)

    # then its list is empty at once
    assert names(reader.get(url(project_id))) == []


def test_a_deleted_workspace_takes_its_cached_milestones_along(team: Any) -> None:
    # given the owner's cached list of the project
    MilestoneFactory(project=team.project, name="Alpha")
    owner = team.client("owner")
    project_id = team.project.pk
    assert names(owner.get(url(project_id))) == ["Alpha"]

    # when the owner deletes the workspace
    workspace_commands.workspace_delete(actor=team.owner, workspace=team.workspace)

    # then the list is empty, and no milestone row is left
    assert names(owner.get(url(project_id))) == []
    assert not Milestone.objects.exists()


def test_a_project_moved_to_another_workspace_leaves_its_readers(reader: Any, team: Any) -> None:
    # given the project is moved in the admin to a workspace the member is not in
    team.project.workspace = WorkspaceFactory()
    team.project.save()

    # then the member's cached list of it is gone with it
    assert names(reader.get(url(team.project.pk))) == []
