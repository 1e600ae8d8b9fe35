"""Workspace members: list, add, change role, remove or leave, and what outsiders learn."""

from typing import Any

import pytest

from tests.conftest import ROLES, client_for
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from workspaces.models import Membership, Role, Workspace

MISSING_ID = 2_147_483_647


def members_url(workspace_id: int) -> str:
    return f"/api/v1/workspaces/{workspace_id}/members/"


def member_url(workspace_id: int, user_id: int | str) -> str:
    return f"/api/v1/workspaces/{workspace_id}/members/{user_id}/"


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


def acquaintance(team: Any) -> Any:
    """A user outside the team's workspace who shares another one with its owner and admin: they
    already see this user's name, so adding them is direct (ids of anyone else are invited,
    tests/api/test_invitations.py)."""
    user = UserFactory()
    elsewhere = WorkspaceFactory()
    for known in (team.owner, team.admin, user):
        MembershipFactory(workspace=elsewhere, user=known, role=Role.VIEWER)
    return user


@pytest.mark.django_db
class TestList:
    @pytest.mark.parametrize("role", ROLES)
    def test_any_member_lists_everyone_with_roles(self, team: Any, role: str) -> None:
        # when a member of any role lists the members
        response = team.client(role).get(members_url(team.workspace.pk))

        # then all four memberships come back, in the order they were made, with names and roles
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 4
        assert [(m["user"], m["username"], m["role"]) for m in body["results"]] == [
            (team.user(r).pk, team.user(r).username, r) for r in ROLES
        ]
        assert set(body["results"][0]) == {"user", "username", "role", "created_at", "updated_at"}

    def test_other_workspaces_members_are_not_listed(self, team: Any) -> None:
        # given the member also belongs to another workspace with someone else in it
        other = MembershipFactory(user=team.member).workspace
        stranger = MembershipFactory(workspace=other).user

        # when they list the first workspace's members
        response = team.client("member").get(members_url(team.workspace.pk))

        # then only that workspace's members are listed
        users = {m["user"] for m in response.json()["results"]}
        assert stranger.pk not in users
        assert users == {team.user(r).pk for r in ROLES}

    @pytest.mark.parametrize("role", ROLES)
    def test_any_member_retrieves_one_membership(self, team: Any, role: str) -> None:
        # when a member retrieves the admin's membership
        response = team.client(role).get(member_url(team.workspace.pk, team.admin.pk))

        # then it comes back
        assert response.status_code == 200
        assert (response.json()["user"], response.json()["role"]) == (team.admin.pk, "admin")

    def test_a_user_who_is_not_a_member_is_404(self, team: Any) -> None:
        # when a member asks for the membership of someone outside the workspace
        response = team.client("member").get(member_url(team.workspace.pk, team.outsider.pk))

        # then there is no such membership
        assert_error(response, 404, "not_found")


@pytest.mark.django_db
class TestAdd:
    @pytest.mark.parametrize(
        ("actor", "granted"),
        [
            ("owner", "owner"),
            ("owner", "admin"),
            ("owner", "member"),
            ("owner", "viewer"),
            ("admin", "admin"),
            ("admin", "member"),
            ("admin", "viewer"),
        ],
    )
    def test_admins_and_owners_add_members(self, team: Any, actor: str, granted: str) -> None:
        # given a user outside the workspace whom the owner and admin know from another one
        newcomer = acquaintance(team)

        # when an admin or owner adds them with a role they may grant
        response = team.client(actor).post(
            members_url(team.workspace.pk), {"user": newcomer.pk, "role": granted}, format="json"
        )

        # then the membership exists with that role
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["user"], body["username"], body["role"]) == (
            newcomer.pk,
            newcomer.username,
            granted,
        )
        assert roles_of(team.workspace)[newcomer.pk] == granted

    def test_role_defaults_to_member(self, team: Any) -> None:
        # when an admin adds a user they know without a role
        newcomer = acquaintance(team)
        response = team.client("admin").post(
            members_url(team.workspace.pk), {"user": newcomer.pk}, format="json"
        )

        # then they are a member
        assert response.status_code == 201
        assert response.json()["role"] == "member"
        assert roles_of(team.workspace)[newcomer.pk] == "member"

    def test_the_new_member_then_sees_the_workspace(self, team: Any) -> None:
        # given a user the admin knows from another workspace cannot see this one
        newcomer = acquaintance(team)
        outsider = client_for(newcomer)
        assert outsider.get(f"/api/v1/workspaces/{team.workspace.pk}/").status_code == 404

        # when an admin adds them as a viewer
        team.client("admin").post(
            members_url(team.workspace.pk),
            {"user": newcomer.pk, "role": "viewer"},
            format="json",
        )

        # then they see it, with their role
        response = outsider.get(f"/api/v1/workspaces/{team.workspace.pk}/")
        assert response.status_code == 200
        assert response.json()["role"] == "viewer"

    def test_admin_may_not_grant_ownership(self, team: Any) -> None:
        before = roles_of(team.workspace)

        # when an admin adds someone as owner
        response = team.client("admin").post(
            members_url(team.workspace.pk),
            {"user": team.outsider.pk, "role": "owner"},
            format="json",
        )

        # then 403 and nobody was added
        assert_error(response, 403, "permission_denied")
        assert roles_of(team.workspace) == before

    @pytest.mark.parametrize("actor", ["member", "viewer"])
    @pytest.mark.parametrize("granted", ["viewer", "member"])
    def test_members_and_viewers_may_not_add(self, team: Any, actor: str, granted: str) -> None:
        before = roles_of(team.workspace)

        # when a member or viewer adds someone
        response = team.client(actor).post(
            members_url(team.workspace.pk),
            {"user": team.outsider.pk, "role": granted},
            format="json",
        )

        # then 403 and nobody was added
        assert_error(response, 403, "permission_denied")
        assert roles_of(team.workspace) == before

    def test_duplicate_is_a_validation_error_on_user(self, team: Any) -> None:
        before = roles_of(team.workspace)

        # when an admin adds someone who is already a member
        response = team.client("admin").post(
            members_url(team.workspace.pk), {"user": team.viewer.pk, "role": "admin"}, format="json"
        )

        # then the user field is at fault and the existing role is untouched
        error = assert_error(response, 400, "validation_error")
        assert error["details"] == {"user": ["This user is already a member."]}
        assert roles_of(team.workspace) == before

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"user": "abc"}, "user"),
            ({"role": "member"}, "user"),
            ({"user": "OUTSIDER", "role": "superuser"}, "role"),
            ({"user": "OUTSIDER", "workspace": 1}, "workspace"),
        ],
        ids=["not-an-id", "missing-user", "bad-role", "unknown-field"],
    )
    def test_bad_bodies_are_rejected(self, team: Any, payload: dict[str, Any], field: str) -> None:
        # given a body with a malformed or missing user, a bad role or an extra field
        body = {k: team.outsider.pk if v == "OUTSIDER" else v for k, v in payload.items()}
        before = roles_of(team.workspace)

        # when the owner posts it
        response = team.client("owner").post(members_url(team.workspace.pk), body, format="json")

        # then that field is at fault and nobody was added
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == [field]
        assert roles_of(team.workspace) == before

    def test_an_unknown_user_id_is_not_said_to_be_unknown(self, team: Any) -> None:
        # when the owner adds a user id that exists nowhere
        response = team.client("owner").post(
            members_url(team.workspace.pk), {"user": MISSING_ID}, format="json"
        )

        # then the answer is the invitation any unrelated id gets, not "does not exist"
        assert response.status_code == 202, response.content
        assert response.json()["status"] == "invited"
        assert b"does not exist" not in response.content


@pytest.mark.django_db
class TestChangeRole:
    @pytest.mark.parametrize(
        ("actor", "target", "new_role"),
        [
            ("owner", "admin", "owner"),
            ("owner", "admin", "viewer"),
            ("owner", "member", "owner"),
            ("owner", "viewer", "admin"),
            ("admin", "member", "admin"),
            ("admin", "member", "viewer"),
            ("admin", "viewer", "member"),
            ("admin", "admin", "member"),
        ],
    )
    def test_allowed_changes(self, team: Any, actor: str, target: str, new_role: str) -> None:
        # when an owner or admin changes a role within what they may grant
        response = team.client(actor).patch(
            member_url(team.workspace.pk, team.user(target).pk), {"role": new_role}, format="json"
        )

        # then the role is stored and returned
        assert response.status_code == 200, response.content
        assert response.json()["role"] == new_role
        assert roles_of(team.workspace)[team.user(target).pk] == new_role

    @pytest.mark.parametrize(
        ("actor", "target", "new_role"),
        [
            # admins cannot grant ownership
            ("admin", "member", "owner"),
            ("admin", "admin", "owner"),
            # admins cannot touch owners
            ("admin", "owner", "admin"),
            ("admin", "owner", "viewer"),
            # members and viewers change nothing, not even themselves
            ("member", "viewer", "member"),
            ("member", "member", "admin"),
            ("viewer", "viewer", "member"),
            ("viewer", "member", "viewer"),
        ],
    )
    def test_refused_changes(self, team: Any, actor: str, target: str, new_role: str) -> None:
        before = roles_of(team.workspace)

        # when someone changes a role beyond their reach
        response = team.client(actor).patch(
            member_url(team.workspace.pk, team.user(target).pk), {"role": new_role}, format="json"
        )

        # then 403 and every role is as it was
        assert_error(response, 403, "permission_denied")
        assert roles_of(team.workspace) == before

    def test_last_owner_cannot_be_demoted(self, team: Any) -> None:
        before = roles_of(team.workspace)

        # when the only owner demotes themselves
        response = team.client("owner").patch(
            member_url(team.workspace.pk, team.owner.pk), {"role": "admin"}, format="json"
        )

        # then the role field is at fault and they still own the workspace
        error = assert_error(response, 400, "validation_error")
        assert error["details"] == {"role": ["A workspace keeps at least one owner."]}
        assert roles_of(team.workspace) == before

    def test_one_of_two_owners_may_step_down(self, team: Any) -> None:
        # given a second owner
        Membership.objects.filter(workspace=team.workspace, user=team.admin).update(role=Role.OWNER)

        # when the first owner demotes themselves
        response = team.client("owner").patch(
            member_url(team.workspace.pk, team.owner.pk), {"role": "member"}, format="json"
        )

        # then that works, and exactly one owner is left
        assert response.status_code == 200
        roles = roles_of(team.workspace)
        assert (roles[team.owner.pk], roles[team.admin.pk]) == ("member", "owner")

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({}, "role"),
            ({"role": "superuser"}, "role"),
            ({"role": None}, "role"),
            ({"role": "viewer", "user": 1}, "user"),
        ],
        ids=["missing", "unknown-role", "null", "unknown-field"],
    )
    def test_bad_bodies_are_rejected(self, team: Any, payload: dict[str, Any], field: str) -> None:
        before = roles_of(team.workspace)

        # when the owner sends a role change the API cannot accept
        response = team.client("owner").patch(
            member_url(team.workspace.pk, team.member.pk), payload, format="json"
        )

        # then that field is at fault and nothing changed
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == [field]
        assert roles_of(team.workspace) == before

    def test_non_member_user_id_is_404(self, team: Any) -> None:
        # when the owner changes the role of someone outside the workspace
        response = team.client("owner").patch(
            member_url(team.workspace.pk, team.outsider.pk), {"role": "admin"}, format="json"
        )

        # then there is no such membership, and none is created
        assert_error(response, 404, "not_found")
        assert team.outsider.pk not in roles_of(team.workspace)


@pytest.mark.django_db
class TestRemove:
    @pytest.mark.parametrize(
        ("actor", "target"),
        [
            ("owner", "admin"),
            ("owner", "member"),
            ("owner", "viewer"),
            ("admin", "member"),
            ("admin", "viewer"),
            ("admin", "admin"),
            ("member", "member"),
            ("viewer", "viewer"),
        ],
    )
    def test_admins_remove_and_anyone_leaves(self, team: Any, actor: str, target: str) -> None:
        # given the memberships before
        before = roles_of(team.workspace)

        # when an admin removes someone below owner, or someone removes themselves
        response = team.client(actor).delete(member_url(team.workspace.pk, team.user(target).pk))

        # then exactly that membership is gone
        assert response.status_code == 204, response.content
        del before[team.user(target).pk]
        assert roles_of(team.workspace) == before

    def test_who_left_no_longer_sees_the_workspace(self, team: Any) -> None:
        # given the member left
        client = team.client("member")
        assert client.delete(member_url(team.workspace.pk, team.member.pk)).status_code == 204

        # when they ask for the workspace and its members
        # then it no longer exists for them
        assert_error(client.get(f"/api/v1/workspaces/{team.workspace.pk}/"), 404, "not_found")
        assert_error(client.get(members_url(team.workspace.pk)), 404, "not_found")

    @pytest.mark.parametrize(
        ("actor", "target"),
        [
            ("member", "viewer"),
            ("member", "admin"),
            ("viewer", "member"),
            ("viewer", "owner"),
            ("admin", "owner"),
        ],
    )
    def test_refused_removals(self, team: Any, actor: str, target: str) -> None:
        before = roles_of(team.workspace)

        # when a member or viewer removes someone else, or an admin removes an owner
        response = team.client(actor).delete(member_url(team.workspace.pk, team.user(target).pk))

        # then 403 and everyone is still there
        assert_error(response, 403, "permission_denied")
        assert roles_of(team.workspace) == before

    def test_last_owner_cannot_leave(self, team: Any) -> None:
        before = roles_of(team.workspace)

        # when the only owner leaves
        response = team.client("owner").delete(member_url(team.workspace.pk, team.owner.pk))

        # then the user field is at fault and they still own the workspace
        error = assert_error(response, 400, "validation_error")
        assert error["details"] == {"user": ["A workspace keeps at least one owner."]}
        assert roles_of(team.workspace) == before

    def test_an_owner_may_leave_when_another_owner_remains(self, team: Any) -> None:
        # given a second owner
        Membership.objects.filter(workspace=team.workspace, user=team.admin).update(role=Role.OWNER)

        # when the first owner leaves
        response = team.client("owner").delete(member_url(team.workspace.pk, team.owner.pk))

        # then they are gone and the other owner remains
        assert response.status_code == 204
        roles = roles_of(team.workspace)
        assert team.owner.pk not in roles
        assert roles[team.admin.pk] == "owner"

    def test_owner_removes_a_co_owner(self, team: Any) -> None:
        # given a second owner
        Membership.objects.filter(workspace=team.workspace, user=team.admin).update(role=Role.OWNER)

        # when the first owner removes them
        response = team.client("owner").delete(member_url(team.workspace.pk, team.admin.pk))

        # then they are gone
        assert response.status_code == 204
        assert team.admin.pk not in roles_of(team.workspace)

    def test_non_member_user_id_is_404(self, team: Any) -> None:
        # when the owner removes someone who is not a member
        response = team.client("owner").delete(member_url(team.workspace.pk, team.outsider.pk))

        # then there is no such membership
        assert_error(response, 404, "not_found")

    def test_membership_of_another_workspace_is_not_reachable_through_this_one(
        self, team: Any
    ) -> None:
        # given the outsider is a member of another workspace the admin can also see
        other = MembershipFactory(user=team.admin, role=Role.VIEWER).workspace
        MembershipFactory(workspace=other, user=team.outsider)

        # when the admin removes the outsider through the first workspace's URL
        response = team.client("admin").delete(member_url(team.workspace.pk, team.outsider.pk))

        # then 404, and the other workspace's membership is untouched
        assert_error(response, 404, "not_found")
        assert Membership.objects.filter(workspace=other, user=team.outsider).exists()


@pytest.mark.django_db
class TestOutsider:
    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("get", "list", None),
            ("post", "list", {"user": "OUTSIDER", "role": "owner"}),
            ("get", "owner", None),
            ("patch", "owner", {"role": "viewer"}),
            ("delete", "owner", None),
            ("delete", "member", None),
        ],
    )
    def test_outsider_gets_404_everywhere(
        self, team: Any, method: str, path: str, body: dict[str, Any] | None
    ) -> None:
        # given the memberships before
        before = roles_of(team.workspace)
        url = (
            members_url(team.workspace.pk)
            if path == "list"
            else member_url(team.workspace.pk, team.user(path).pk)
        )
        if body is not None:
            body = {k: team.outsider.pk if v == "OUTSIDER" else v for k, v in body.items()}

        # when an outsider reads or writes the members
        response = getattr(team.client("outsider"), method)(url, body, format="json")

        # then the workspace does not exist for them and nothing changed
        assert_error(response, 404, "not_found")
        assert roles_of(team.workspace) == before

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_unknown_workspace_is_404(self, team: Any, method: str) -> None:
        # when the owner addresses the members of a workspace that does not exist
        response = getattr(team.client("owner"), method)(
            members_url(MISSING_ID), {"user": team.outsider.pk}, format="json"
        )

        # then 404
        assert_error(response, 404, "not_found")

    @pytest.mark.parametrize("user_id", ["abc", "-1", "9" * 25])
    def test_malformed_user_ids_are_404(self, team: Any, user_id: str) -> None:
        # when the owner addresses a malformed or out-of-range user id
        response = team.client("owner").get(member_url(team.workspace.pk, user_id))

        # then 404
        assert_error(response, 404, "not_found")


@pytest.mark.django_db
def test_a_fresh_user_invited_by_id_is_listed_once_they_accept(team: Any) -> None:
    # given a brand-new user
    newcomer = UserFactory()

    # when the owner adds them (an invitation: they share no workspace), they accept, and the
    # owner lists the members
    client = team.client("owner")
    invited = client.post(members_url(team.workspace.pk), {"user": newcomer.pk}, format="json")
    accepted = client_for(newcomer).post(f"/api/v1/invitations/{invited.json()['id']}/accept/")
    assert (invited.status_code, accepted.status_code) == (202, 201)
    listed = [m["user"] for m in client.get(members_url(team.workspace.pk)).json()["results"]]

    # then they come last, after the founding members
    assert listed == [*(team.user(r).pk for r in ROLES), newcomer.pk]


@pytest.mark.django_db
class TestMemberAddRevealsNoAccounts:
    @pytest.mark.parametrize("actor", ["member", "viewer"])
    def test_who_may_not_add_cannot_tell_real_ids_from_unused_ones(
        self, team: Any, actor: str
    ) -> None:
        # when a viewer or member posts a real user id, an unused one and a malformed one
        answers = [
            team.client(actor).post(
                members_url(team.workspace.pk), {"user": user, "role": "viewer"}, format="json"
            )
            for user in (team.outsider.pk, MISSING_ID, "x")
        ]

        # then the answers are the same: 403, same message (it used to be 403 vs 400)
        errors = [assert_error(answer, 403, "permission_denied") for answer in answers]
        assert len({(e["message"], str(e["details"])) for e in errors}) == 1

    def test_additions_are_rate_limited_per_user(self, team: Any, settings: Any) -> None:
        settings.THROTTLE_RATE_MEMBER_ADD = "2/hour"
        client = team.client("owner")
        statuses = [
            client.post(
                members_url(team.workspace.pk), {"user": UserFactory().pk}, format="json"
            ).status_code
            for _ in range(3)
        ]
        # fresh users share no workspace with the owner: each addition is an invitation
        assert statuses == [202, 202, 429]
