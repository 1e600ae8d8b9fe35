"""Workspaces: list and create, retrieve, PATCH, DELETE, ownership transfer, bad input."""

from typing import Any

import pytest

from tasks.models import Comment, Task
from tests.conftest import ROLES
from tests.factories import (
    CommentFactory,
    LabelFactory,
    MembershipFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
    WorkspaceFactory,
)
from workspaces.models import Label, Membership, Project, Role, Workspace

LIST_URL = "/api/v1/workspaces/"
MISSING_ID = 2_147_483_647


def detail_url(workspace_id: int | str) -> str:
    return f"/api/v1/workspaces/{workspace_id}/"


def transfer_url(workspace_id: int | str) -> str:
    return f"/api/v1/workspaces/{workspace_id}/transfer/"


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the contract's error envelope, with this status and code."""
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"code", "message", "details", "request_id"}
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], dict)
    assert error["request_id"] == response["X-Request-ID"]
    return error


def roles_of(workspace: Workspace) -> dict[int, str]:
    return dict(Membership.objects.filter(workspace=workspace).values_list("user_id", "role"))


def snapshot(workspace: Workspace) -> tuple[Any, ...]:
    """Everything a refused write on a workspace must leave untouched."""
    row = Workspace.objects.filter(pk=workspace.pk).values("name", "description", "updated_at")
    return (list(row), roles_of(workspace), Project.objects.filter(workspace=workspace).count())


@pytest.mark.django_db
class TestList:
    def test_lists_only_my_workspaces_newest_first_with_my_role(self, team: Any) -> None:
        # given the member also views a second workspace, and a workspace they are not in
        second = MembershipFactory(user=team.member, role=Role.VIEWER).workspace
        WorkspaceFactory()

        # when the member lists workspaces
        response = team.client("member").get(LIST_URL)

        # then exactly their two workspaces come back, each with their role in it
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2
        assert [(w["id"], w["role"]) for w in body["results"]] == [
            (second.pk, "viewer"),
            (team.workspace.pk, "member"),
        ]

    @pytest.mark.parametrize("role", ROLES)
    def test_each_role_sees_its_own_role(self, team: Any, role: str) -> None:
        # when each member lists workspaces
        response = team.client(role).get(LIST_URL)

        # then the single workspace carries the caller's role
        assert response.status_code == 200
        assert [w["role"] for w in response.json()["results"]] == [role]

    def test_outsider_sees_an_empty_list(self, team: Any) -> None:
        # when someone in no workspace lists workspaces
        response = team.client("outsider").get(LIST_URL)

        # then nothing comes back
        assert response.status_code == 200
        assert response.json()["results"] == []
        assert response.json()["count"] == 0

    def test_anonymous_is_refused(self, api_client: Any, team: Any) -> None:
        # when nobody is signed in
        response = api_client.get(LIST_URL)

        # then 401 in the envelope
        assert_error(response, 401, "not_authenticated")


@pytest.mark.django_db
class TestCreate:
    def test_creator_becomes_owner(self, team: Any) -> None:
        # given a user who belongs to no workspace
        creator = team.outsider

        # when they create a workspace
        response = team.client("outsider").post(
            LIST_URL, {"name": "Launch", "description": "Q3 launch"}, format="json"
        )

        # then it exists, they own it, and the answer says so
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == {"id", "name", "description", "role", "created_at", "updated_at"}
        assert (body["name"], body["description"], body["role"]) == ("Launch", "Q3 launch", "owner")
        workspace = Workspace.objects.get(pk=body["id"])
        assert workspace.created_by_id == creator.pk
        assert roles_of(workspace) == {creator.pk: "owner"}

    def test_created_workspace_is_then_listed_with_the_owner_role(self, team: Any) -> None:
        # given the outsider created a workspace
        client = team.client("outsider")
        created = client.post(LIST_URL, {"name": "Mine"}, format="json").json()

        # when they list and retrieve it
        listed = client.get(LIST_URL).json()["results"]
        retrieved = client.get(detail_url(created["id"])).json()

        # then it shows with the owner role both ways
        assert [(w["id"], w["role"]) for w in listed] == [(created["id"], "owner")]
        assert retrieved["role"] == "owner"
        assert retrieved["description"] == ""

    @pytest.mark.parametrize(
        ("payload", "details"),
        [
            ({"name": "x", "owner": 1}, {"owner": ["Unknown field."]}),
            ({"name": "x", "role": "viewer"}, {"role": ["This field is read-only."]}),
            ({"name": "x", "id": 5}, {"id": ["This field is read-only."]}),
            (
                {"name": "x", "members": [1], "created_by": 1},
                {"members": ["Unknown field."], "created_by": ["Unknown field."]},
            ),
        ],
    )
    def test_unknown_and_read_only_fields_are_rejected_per_field(
        self, team: Any, payload: dict[str, Any], details: dict[str, list[str]]
    ) -> None:
        # given the current number of workspaces
        before = Workspace.objects.count()

        # when the body carries fields the API does not accept
        response = team.client("member").post(LIST_URL, payload, format="json")

        # then each offending field is named, and nothing is created
        error = assert_error(response, 400, "validation_error")
        assert error["details"] == details
        assert Workspace.objects.count() == before

    @pytest.mark.parametrize(
        "payload",
        [{}, {"name": ""}, {"name": "x" * 121}, {"name": None}, {"name": ["a"]}],
        ids=["missing", "blank", "too-long", "null", "list"],
    )
    def test_invalid_names_are_rejected(self, team: Any, payload: dict[str, Any]) -> None:
        # given the current number of workspaces
        before = Workspace.objects.count()

        # when the name is missing, blank, too long or not a string
        response = team.client("member").post(LIST_URL, payload, format="json")

        # then the name is the field at fault and nothing is created
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == ["name"]
        assert Workspace.objects.count() == before


@pytest.mark.django_db
class TestRetrieve:
    @pytest.mark.parametrize("role", ROLES)
    def test_every_member_reads_the_workspace(self, team: Any, role: str) -> None:
        # when a member of any role retrieves the workspace
        response = team.client(role).get(detail_url(team.workspace.pk))

        # then it comes back with their role
        assert response.status_code == 200
        body = response.json()
        assert (body["id"], body["name"], body["role"]) == (
            team.workspace.pk,
            team.workspace.name,
            role,
        )

    def test_outsider_gets_404(self, team: Any) -> None:
        # when someone outside the workspace retrieves it
        response = team.client("outsider").get(detail_url(team.workspace.pk))

        # then it does not exist for them
        assert_error(response, 404, "not_found")

    def test_outsider_404_is_identical_to_a_missing_workspace(self, team: Any) -> None:
        # when the outsider asks for an existing and for a missing workspace
        client = team.client("outsider")
        hidden = assert_error(client.get(detail_url(team.workspace.pk)), 404, "not_found")
        missing = assert_error(client.get(detail_url(MISSING_ID)), 404, "not_found")

        # then nothing but the request id tells them apart
        hidden.pop("request_id")
        missing.pop("request_id")
        assert hidden == missing


@pytest.mark.django_db
class TestUpdate:
    @pytest.mark.parametrize("role", ["owner", "admin"])
    def test_admins_and_owners_rename(self, team: Any, role: str) -> None:
        # when an admin or owner renames the workspace
        response = team.client(role).patch(
            detail_url(team.workspace.pk), {"name": "Renamed"}, format="json"
        )

        # then the change is stored and returned, the description untouched
        assert response.status_code == 200, response.content
        assert response.json()["name"] == "Renamed"
        assert response.json()["role"] == role
        team.workspace.refresh_from_db()
        assert team.workspace.name == "Renamed"

    def test_description_only_patch_keeps_the_name(self, team: Any) -> None:
        # given the workspace's current name
        name = team.workspace.name

        # when only the description is patched
        response = team.client("admin").patch(
            detail_url(team.workspace.pk), {"description": "New text"}, format="json"
        )

        # then the name stays as it was
        assert response.status_code == 200
        team.workspace.refresh_from_db()
        assert (team.workspace.name, team.workspace.description) == (name, "New text")

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_members_and_viewers_are_refused(self, team: Any, role: str) -> None:
        # given the workspace as it is
        before = snapshot(team.workspace)

        # when a member or viewer renames it
        response = team.client(role).patch(
            detail_url(team.workspace.pk), {"name": "Hijacked"}, format="json"
        )

        # then 403 and nothing changed
        assert_error(response, 403, "permission_denied")
        assert snapshot(team.workspace) == before

    def test_outsider_gets_404_and_nothing_changes(self, team: Any) -> None:
        before = snapshot(team.workspace)

        # when an outsider renames the workspace
        response = team.client("outsider").patch(
            detail_url(team.workspace.pk), {"name": "Hijacked"}, format="json"
        )

        # then it does not exist for them and nothing changed
        assert_error(response, 404, "not_found")
        assert snapshot(team.workspace) == before

    @pytest.mark.parametrize(
        ("payload", "details"),
        [
            ({"name": "ok", "colour": "red"}, {"colour": ["Unknown field."]}),
            ({"role": "owner"}, {"role": ["This field is read-only."]}),
            ({"created_at": "2020-01-01T00:00:00Z"}, {"created_at": ["This field is read-only."]}),
            ({"name": ""}, {"name": ["This field may not be blank."]}),
        ],
    )
    def test_bad_fields_are_rejected_per_field(
        self, team: Any, payload: dict[str, Any], details: dict[str, list[str]]
    ) -> None:
        before = snapshot(team.workspace)

        # when the owner sends a field the API refuses
        response = team.client("owner").patch(detail_url(team.workspace.pk), payload, format="json")

        # then each field is named with its message and nothing changed
        error = assert_error(response, 400, "validation_error")
        assert error["details"] == details
        assert snapshot(team.workspace) == before


@pytest.mark.django_db
class TestDelete:
    def test_owner_deletes_with_everything_in_it(self, team: Any) -> None:
        # given a workspace with members, a project, a label, a task and a comment
        workspace_id = team.workspace.pk
        task = TaskFactory(project=team.project, labels=[LabelFactory(workspace=team.workspace)])
        comment = CommentFactory(task=task, author=team.member)

        # when the owner deletes it
        response = team.client("owner").delete(detail_url(workspace_id))

        # then it is gone, and its memberships and projects with it
        assert response.status_code == 204
        assert response.content == b""
        assert not Workspace.objects.filter(pk=workspace_id).exists()
        assert not Membership.objects.filter(workspace_id=workspace_id).exists()
        assert not Project.objects.filter(workspace_id=workspace_id).exists()
        assert not Label.objects.filter(workspace_id=workspace_id).exists()
        assert not Task.objects.filter(pk=task.pk).exists()
        assert not Comment.objects.filter(pk=comment.pk).exists()

    @pytest.mark.parametrize("role", ["admin", "member", "viewer"])
    def test_only_the_owner_may_delete(self, team: Any, role: str) -> None:
        before = snapshot(team.workspace)

        # when anyone below owner deletes the workspace
        response = team.client(role).delete(detail_url(team.workspace.pk))

        # then 403 and the workspace is intact
        assert_error(response, 403, "permission_denied")
        assert snapshot(team.workspace) == before

    def test_outsider_gets_404(self, team: Any) -> None:
        before = snapshot(team.workspace)

        # when an outsider deletes the workspace
        response = team.client("outsider").delete(detail_url(team.workspace.pk))

        # then it does not exist for them and is intact
        assert_error(response, 404, "not_found")
        assert snapshot(team.workspace) == before

    def test_a_second_owner_may_delete_too(self, team: Any) -> None:
        # given the admin was promoted to a second owner
        Membership.objects.filter(workspace=team.workspace, user=team.admin).update(role=Role.OWNER)

        # when they delete the workspace
        response = team.client("admin").delete(detail_url(team.workspace.pk))

        # then it is gone
        assert response.status_code == 204
        assert not Workspace.objects.filter(pk=team.workspace.pk).exists()


@pytest.mark.django_db
class TestTransfer:
    @pytest.mark.parametrize("new_owner", ["admin", "member", "viewer"])
    def test_owner_hands_over_and_stays_as_admin(self, team: Any, new_owner: str) -> None:
        # given the owner and a member of any role
        target = team.user(new_owner)

        # when the owner transfers the workspace to them
        response = team.client("owner").post(
            transfer_url(team.workspace.pk), {"user": target.pk}, format="json"
        )

        # then the target owns it and the previous owner is an admin
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["user"], body["username"], body["role"]) == (
            target.pk,
            target.username,
            "owner",
        )
        roles = roles_of(team.workspace)
        assert roles[target.pk] == "owner"
        assert roles[team.owner.pk] == "admin"
        assert list(roles.values()).count("owner") == 1

    def test_after_transfer_the_powers_move_with_the_role(self, team: Any) -> None:
        # given the owner transferred the workspace to the member
        team.client("owner").post(
            transfer_url(team.workspace.pk), {"user": team.member.pk}, format="json"
        )

        # when the previous owner then tries to delete it
        refused = team.client("owner").delete(detail_url(team.workspace.pk))

        # then they may not, but the new owner may
        assert_error(refused, 403, "permission_denied")
        assert team.client("member").delete(detail_url(team.workspace.pk)).status_code == 204

    @pytest.mark.parametrize("role", ["admin", "member", "viewer"])
    def test_only_the_owner_may_transfer(self, team: Any, role: str) -> None:
        before = snapshot(team.workspace)

        # when someone below owner transfers the workspace to themselves
        response = team.client(role).post(
            transfer_url(team.workspace.pk), {"user": team.user(role).pk}, format="json"
        )

        # then 403 and the roles are unchanged
        assert_error(response, 403, "permission_denied")
        assert snapshot(team.workspace) == before

    def test_outsider_gets_404(self, team: Any) -> None:
        before = snapshot(team.workspace)

        # when the outsider tries to take the workspace over
        response = team.client("outsider").post(
            transfer_url(team.workspace.pk), {"user": team.outsider.pk}, format="json"
        )

        # then it does not exist for them
        assert_error(response, 404, "not_found")
        assert snapshot(team.workspace) == before

    def test_new_owner_must_already_be_a_member(self, team: Any) -> None:
        before = snapshot(team.workspace)

        # when the owner names someone outside the workspace
        response = team.client("owner").post(
            transfer_url(team.workspace.pk), {"user": team.outsider.pk}, format="json"
        )

        # then the user field is at fault and nothing changed
        error = assert_error(response, 400, "validation_error")
        assert error["details"] == {"user": ["The new owner must already be a member."]}
        assert snapshot(team.workspace) == before

    def test_an_unknown_id_and_a_real_non_member_get_the_same_answer(self, team: Any) -> None:
        # when the owner names a real account outside the workspace, then an id nobody has
        answers = [
            team.client("owner").post(
                transfer_url(team.workspace.pk), {"user": user_id}, format="json"
            )
            for user_id in (team.outsider.pk, MISSING_ID)
        ]

        # then the answers are the same (the id is not quoted), so they tell no account apart
        errors = [assert_error(answer, 400, "validation_error") for answer in answers]
        assert errors[0]["details"] == errors[1]["details"]
        assert errors[0]["details"] == {"user": ["The new owner must already be a member."]}

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            (lambda team: {}, "user"),
            (lambda team: {"user": MISSING_ID}, "user"),
            (lambda team: {"user": "abc"}, "user"),
            (lambda team: {"user": None}, "user"),
            (lambda team: {"user": team.owner.pk}, "user"),
            (lambda team: {"user": team.member.pk, "role": "owner"}, "role"),
        ],
        ids=["missing", "unknown-id", "not-an-id", "null", "self", "unknown-field"],
    )
    def test_bad_bodies_are_rejected(self, team: Any, body: Any, field: str) -> None:
        # given a body naming a user that is missing, unknown, malformed, the caller, or extra keys
        before = snapshot(team.workspace)

        # when the owner posts it
        response = team.client("owner").post(
            transfer_url(team.workspace.pk), body(team), format="json"
        )

        # then that field is at fault and ownership stays where it was
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == [field]
        assert snapshot(team.workspace) == before


@pytest.mark.django_db
class TestInvalidIds:
    @pytest.mark.parametrize(
        "workspace_id", ["abc", "0", "-1", "1.5", "1e3", str(MISSING_ID), "9" * 25, "%20"]
    )
    @pytest.mark.parametrize("method", ["get", "patch", "delete"])
    def test_invalid_or_unknown_ids_are_404(
        self, team: Any, method: str, workspace_id: str
    ) -> None:
        before = snapshot(team.workspace)

        # when the owner addresses a workspace id that is malformed, out of range or unknown
        response = getattr(team.client("owner"), method)(
            detail_url(workspace_id), {"name": "x"} if method == "patch" else None, format="json"
        )

        # then 404 in the envelope and nothing changed
        assert_error(response, 404, "not_found")
        assert snapshot(team.workspace) == before

    @pytest.mark.parametrize("workspace_id", ["abc", str(MISSING_ID), "9" * 25])
    def test_transfer_on_invalid_ids_is_404(self, team: Any, workspace_id: str) -> None:
        # when the owner transfers a workspace that cannot exist
        response = team.client("owner").post(
            transfer_url(workspace_id), {"user": team.member.pk}, format="json"
        )

        # then 404
        assert_error(response, 404, "not_found")
        assert roles_of(team.workspace)[team.owner.pk] == "owner"


@pytest.mark.django_db
def test_workspaces_of_other_teams_stay_out_of_every_answer(team: Any) -> None:
    # given another team's workspace with a project
    other = ProjectFactory().workspace
    MembershipFactory(workspace=other, user=UserFactory(), role=Role.OWNER)

    # when the owner of the first team lists and addresses it
    client = team.client("owner")
    listed = [w["id"] for w in client.get(LIST_URL).json()["results"]]

    # then it is neither listed nor reachable
    assert listed == [team.workspace.pk]
    assert_error(client.get(detail_url(other.pk)), 404, "not_found")
    assert_error(client.delete(detail_url(other.pk)), 404, "not_found")
    assert Workspace.objects.filter(pk=other.pk).exists()
