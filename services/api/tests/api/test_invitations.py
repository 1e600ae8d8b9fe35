"""Member additions that reveal no accounts, and the invitations they become.

A manager who adds a user id that shares no workspace with them gets the same 202 whether an
account has the id or not (unknown, deactivated or unrelated); only that account, if any, sees
the invitation and becomes a member by accepting it.
"""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eventstore.models import Event, OutboxMessage
from tests.api.test_members import MISSING_ID, assert_error, members_url, roles_of
from tests.conftest import ROLES, client_for
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from workspaces import commands
from workspaces.models import Invitation, Role

SENT_KEYS = {"status", "id", "user", "role", "invited_at", "expires_at"}


def invitations_url(workspace_id: int) -> str:
    return f"/api/v1/workspaces/{workspace_id}/invitations/"


def invitation_url(workspace_id: int, invitation_id: int) -> str:
    return f"/api/v1/workspaces/{workspace_id}/invitations/{invitation_id}/"


def accept_url(invitation_id: int) -> str:
    return f"/api/v1/invitations/{invitation_id}/accept/"


def decline_url(invitation_id: int) -> str:
    return f"/api/v1/invitations/{invitation_id}/decline/"


def invite(team: Any, user_id: int, role: str = "member", actor: str = "owner") -> Any:
    return team.client(actor).post(
        members_url(team.workspace.pk), {"user": user_id, "role": role}, format="json"
    )


def received(user: Any) -> list[dict[str, Any]]:
    response = client_for(user).get("/api/v1/invitations/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def shape(response: Any) -> tuple[int, list[str], dict[str, Any]]:
    """Status, keys in order, and the values that do not vary from one invitation to the next
    (the invitation's own id and its instants do)."""
    body = response.json()
    steady = {k: v for k, v in body.items() if k not in {"id", "invited_at", "expires_at"}}
    return response.status_code, list(body), steady


@pytest.fixture
def deactivated() -> Any:
    return UserFactory(is_active=False)


@pytest.mark.django_db
class TestAnswerRevealsNoAccounts:
    def test_unknown_unrelated_and_deactivated_ids_get_the_same_answer(
        self, team: Any, deactivated: Any
    ) -> None:
        # given an id nobody has, a real account that shares no workspace with the owner, and a
        # deactivated one
        ids = [MISSING_ID, team.outsider.pk, deactivated.pk]

        # when the owner adds each
        answers = [invite(team, user_id, "viewer") for user_id in ids]

        # then every answer is the same 202, field for field, with no name in it
        shapes = [shape(answer) for answer in answers]
        for user_id, (status, keys, steady) in zip(ids, shapes, strict=True):
            assert status == 202
            assert set(keys) == SENT_KEYS
            assert steady == {"status": "invited", "user": user_id, "role": "viewer"}
        assert len({(s, tuple(k)) for s, k, _ in shapes}) == 1
        for answer in answers:
            assert team.outsider.username.encode() not in answer.content
            assert deactivated.username.encode() not in answer.content
        # and nobody became a member
        assert set(roles_of(team.workspace)) == {team.user(r).pk for r in ROLES}

    def test_the_database_work_is_the_same_for_an_unknown_and_a_real_id(self, team: Any) -> None:
        # when the owner invites an unused id and a real unrelated account, recording the SQL
        def statements(user_id: int) -> list[str]:
            with CaptureQueriesContext(connection) as captured:
                commands.member_add_or_invite(
                    actor=team.owner, workspace=team.workspace, user_id=user_id, role=Role.MEMBER
                )
            # the literals and savepoint names differ (ids, instants); the statements must not
            return [
                re.sub(r"'[^']*'|\bs\d+_x\d+\b|\b\d+\b", "?", q["sql"])
                for q in captured.captured_queries
            ]

        unknown = statements(MISSING_ID)
        real = statements(team.outsider.pk)

        # then the same statements ran, none of them reading the user table
        assert unknown == real
        assert not any("auth_user" in sql for sql in real)

    def test_the_managers_list_shows_the_typed_ids_and_no_names(self, team: Any) -> None:
        # given invitations to a real account and to an unused id
        invite(team, team.outsider.pk)
        invite(team, MISSING_ID, "viewer")

        # when an admin lists the open invitations
        response = team.client("admin").get(invitations_url(team.workspace.pk))

        # then both are there alike, by the ids typed
        assert response.status_code == 200
        results = response.json()["results"]
        assert [(i["user"], i["role"], i["invited_by"]) for i in results] == [
            (team.outsider.pk, "member", team.owner.pk),
            (MISSING_ID, "viewer", team.owner.pk),
        ]
        assert set(results[0]) == {"id", "user", "role", "invited_by", "invited_at", "expires_at"}
        assert team.outsider.username.encode() not in response.content

    def test_a_related_user_is_still_added_directly(self, team: Any) -> None:
        # given a user who shares another workspace with the owner
        friend = UserFactory()
        elsewhere = WorkspaceFactory()
        MembershipFactory(workspace=elsewhere, user=team.owner, role=Role.VIEWER)
        MembershipFactory(workspace=elsewhere, user=friend)

        # when the owner adds them
        response = invite(team, friend.pk, "admin")

        # then they are a member at once, named in the answer, and nothing is pending
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["user"], body["username"], body["role"]) == (
            friend.pk,
            friend.username,
            "admin",
        )
        assert roles_of(team.workspace)[friend.pk] == "admin"
        assert not Invitation.objects.exists()

    def test_adding_a_related_user_directly_closes_their_open_invitation(self, team: Any) -> None:
        # given an invitation to the outsider, who then meets the owner in another workspace
        invite(team, team.outsider.pk)
        elsewhere = WorkspaceFactory()
        MembershipFactory(workspace=elsewhere, user=team.owner)
        MembershipFactory(workspace=elsewhere, user=team.outsider)

        # when the owner adds them again
        response = invite(team, team.outsider.pk, "viewer")

        # then they are added directly and the invitation is gone
        assert response.status_code == 201
        assert received(team.outsider) == []

    @pytest.mark.parametrize("actor", ["member", "viewer"])
    def test_who_may_not_add_gets_one_403_before_the_body_is_read(
        self, team: Any, actor: str
    ) -> None:
        # when a member or viewer adds a real unrelated id, an unused one, and malformed bodies
        bodies = [
            {"user": team.outsider.pk},
            {"user": MISSING_ID},
            {"user": "x", "role": "superuser"},
            {"workspace": 1},
        ]
        answers = [
            team.client(actor).post(members_url(team.workspace.pk), body, format="json")
            for body in bodies
        ]

        # then the same 403 each time, and no invitation is recorded
        errors = [assert_error(answer, 403, "permission_denied") for answer in answers]
        assert len({(e["message"], str(e["details"])) for e in errors}) == 1
        assert not Invitation.objects.exists()

    def test_an_admin_may_not_invite_an_owner(self, team: Any) -> None:
        # when an admin invites an unrelated id as owner
        response = invite(team, MISSING_ID, "owner", actor="admin")

        # then 403 and nothing is recorded
        assert_error(response, 403, "permission_denied")
        assert not Invitation.objects.exists()

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"user": "abc"}, "user"),
            ({"user": 0}, "user"),
            ({"user": -1}, "user"),
            ({"user": 2**31}, "user"),
            ({"user": None}, "user"),
            ({"role": "member"}, "user"),
            ({"user": 5, "role": "superuser"}, "role"),
            ({"user": 5, "workspace": 1}, "workspace"),
        ],
        ids=["not-a-number", "zero", "negative", "too-large", "null", "missing", "role", "extra"],
    )
    def test_bad_bodies_are_validation_errors(
        self, team: Any, payload: dict[str, Any], field: str
    ) -> None:
        # when the owner posts a body the contract does not allow
        response = team.client("owner").post(members_url(team.workspace.pk), payload, format="json")

        # then that field is at fault and nothing is recorded
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == [field]
        assert not Invitation.objects.exists()

    def test_inviting_again_renews_the_one_invitation(self, team: Any) -> None:
        # given an invitation, made again with another role
        first = invite(team, team.outsider.pk, "viewer").json()
        second = invite(team, team.outsider.pk, "admin").json()

        # then there is one invitation, with the new role
        assert first["id"] == second["id"]
        assert [(i["id"], i["role"]) for i in received(team.outsider)] == [(first["id"], "admin")]

    def test_invitation_events_reach_the_audit_trail_but_no_socket_group(self, team: Any) -> None:
        # when the owner invites an id
        invitation_id = invite(team, MISSING_ID).json()["id"]

        # then the audit trail has it, and its outbox row goes to no workspace group (viewers
        # follow those, and must not learn the ids being invited)
        audit = team.client("owner").get(f"/api/v1/workspaces/{team.workspace.pk}/audit/")
        created = audit.json()["results"][0]
        assert (created["type"], created["data"]) == (
            "InvitationCreated",
            {"user_id": MISSING_ID, "role": "member"},
        )
        row = OutboxMessage.objects.get(event__stream=f"invitation-{invitation_id}")
        assert row.group == f"invitations.{team.workspace.pk}"


@pytest.mark.django_db
class TestInvitee:
    def test_the_invitee_sees_the_invitation_and_accepting_makes_them_a_member(
        self, team: Any
    ) -> None:
        # given the owner invited the outsider as a viewer
        invitation_id = invite(team, team.outsider.pk, "viewer").json()["id"]

        # when the outsider lists their invitations and accepts it
        listed = received(team.outsider)
        response = client_for(team.outsider).post(accept_url(invitation_id))

        # then they saw where and by whom, and now belong with the invited role
        assert [(i["id"], i["workspace"], i["role"], i["invited_by"]) for i in listed] == [
            (
                invitation_id,
                {"id": team.workspace.pk, "name": team.workspace.name},
                "viewer",
                team.owner.username,
            )
        ]
        assert response.status_code == 201, response.content
        assert (response.json()["id"], response.json()["role"]) == (team.workspace.pk, "viewer")
        assert roles_of(team.workspace)[team.outsider.pk] == "viewer"
        workspace = client_for(team.outsider).get(f"/api/v1/workspaces/{team.workspace.pk}/")
        assert workspace.status_code == 200
        # and the ordinary MemberAdded event recorded it, after the invitation's acceptance
        types = list(
            Event.objects.filter(workspace_id=team.workspace.pk)
            .order_by("id")
            .values_list("type", "actor_id", "data")
        )
        assert types[-2:] == [
            (
                "InvitationAccepted",
                team.outsider.pk,
                {"user_id": team.outsider.pk, "role": "viewer"},
            ),
            ("MemberAdded", team.outsider.pk, {"user_id": team.outsider.pk, "role": "viewer"}),
        ]
        assert OutboxMessage.objects.filter(
            event__type="MemberAdded", group=f"workspace.{team.workspace.pk}"
        ).exists()
        # and the invitation is closed
        assert received(team.outsider) == []

    def test_the_new_member_appears_in_the_member_list(self, team: Any) -> None:
        # given an accepted invitation (the owner's member list was read, and so cached, before)
        owner = team.client("owner")
        assert owner.get(members_url(team.workspace.pk)).json()["count"] == 4
        invitation_id = invite(team, team.outsider.pk).json()["id"]
        assert client_for(team.outsider).post(accept_url(invitation_id)).status_code == 201

        # when the owner lists the members
        listed = owner.get(members_url(team.workspace.pk)).json()["results"]

        # then the newcomer is there, by name now that they joined
        assert (listed[-1]["user"], listed[-1]["username"]) == (
            team.outsider.pk,
            team.outsider.username,
        )

    def test_accepting_twice_is_404_the_second_time(self, team: Any) -> None:
        # given an accepted invitation
        invitation_id = invite(team, team.outsider.pk).json()["id"]
        client = client_for(team.outsider)
        assert client.post(accept_url(invitation_id)).status_code == 201

        # when it is accepted again
        again = client.post(accept_url(invitation_id))

        # then there is no such invitation, and exactly one membership and one MemberAdded
        assert_error(again, 404, "not_found")
        assert roles_of(team.workspace)[team.outsider.pk] == "member"
        added = Event.objects.filter(type="MemberAdded", data__user_id=team.outsider.pk)
        assert added.count() == 1

    def test_declining_closes_it_without_a_membership(self, team: Any) -> None:
        # given an invitation
        invitation_id = invite(team, team.outsider.pk).json()["id"]

        # when the invitee declines it
        response = client_for(team.outsider).post(decline_url(invitation_id))

        # then it is gone, they are no member, and it cannot be accepted afterwards
        assert response.status_code == 204
        assert received(team.outsider) == []
        assert team.outsider.pk not in roles_of(team.workspace)
        assert_error(client_for(team.outsider).post(accept_url(invitation_id)), 404, "not_found")
        assert Event.objects.filter(type="InvitationDeclined", actor_id=team.outsider.pk).exists()

    @pytest.mark.parametrize("url", [accept_url, decline_url])
    def test_someone_elses_invitation_is_404_like_a_missing_one(self, team: Any, url: Any) -> None:
        # given an invitation to the outsider
        invitation_id = invite(team, team.outsider.pk).json()["id"]
        intruder = client_for(UserFactory())

        # when another user (and a member of the workspace) accept or decline it, or a missing id
        answers = [
            intruder.post(url(invitation_id)),
            team.client("member").post(url(invitation_id)),
            intruder.post(url(MISSING_ID)),
        ]

        # then 404 every time, the same answer, and the invitation is still the outsider's
        errors = [assert_error(answer, 404, "not_found") for answer in answers]
        assert len({(e["message"], str(e["details"])) for e in errors}) == 1
        assert [i["id"] for i in received(team.outsider)] == [invitation_id]

    def test_an_expired_invitation_cannot_be_seen_or_accepted(self, team: Any) -> None:
        # given an invitation past its expiry
        invitation_id = invite(team, team.outsider.pk).json()["id"]
        Invitation.objects.filter(pk=invitation_id).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )

        # then the invitee does not see it and cannot accept it; the managers no longer list it
        assert received(team.outsider) == []
        assert_error(client_for(team.outsider).post(accept_url(invitation_id)), 404, "not_found")
        assert team.client("owner").get(invitations_url(team.workspace.pk)).json()["count"] == 0
        assert team.outsider.pk not in roles_of(team.workspace)

    def test_invitations_last_the_configured_days(self, team: Any, settings: Any) -> None:
        # given invitations last 2 days
        settings.INVITATION_TTL_DAYS = 2

        # when the owner invites
        body = invite(team, MISSING_ID).json()

        # then it expires 2 days after it was made
        invited = Invitation.objects.get(pk=body["id"])
        assert invited.expires_at - invited.invited_at == timedelta(days=2)

    def test_an_invitation_of_a_deleted_workspace_is_gone(self, team: Any) -> None:
        # given an invitation, then the workspace is deleted
        invitation_id = invite(team, team.outsider.pk).json()["id"]
        deleted = team.client("owner").delete(f"/api/v1/workspaces/{team.workspace.pk}/")
        assert deleted.status_code == 204

        # then the invitee no longer sees it nor can accept it
        assert received(team.outsider) == []
        assert_error(client_for(team.outsider).post(accept_url(invitation_id)), 404, "not_found")

    def test_an_id_invited_before_its_account_existed_reaches_nobody(self, team: Any) -> None:
        # given an invitation to an id nobody has yet
        future_id = MISSING_ID - 1
        invitation_id = invite(team, future_id).json()["id"]

        # when an account is later created with that id
        latecomer = UserFactory(id=future_id)

        # then the invitation is not theirs
        assert received(latecomer) == []
        assert_error(client_for(latecomer).post(accept_url(invitation_id)), 404, "not_found")

    def test_without_a_token_the_invitations_are_401(self, api_client: Any) -> None:
        assert_error(api_client.get("/api/v1/invitations/"), 401, "not_authenticated")


@pytest.mark.django_db
class TestManagers:
    def test_an_admin_revokes_an_open_invitation(self, team: Any) -> None:
        # given an invitation to the outsider
        invitation_id = invite(team, team.outsider.pk).json()["id"]

        # when an admin revokes it
        response = team.client("admin").delete(invitation_url(team.workspace.pk, invitation_id))

        # then it is gone for everyone
        assert response.status_code == 204
        assert received(team.outsider) == []
        assert_error(client_for(team.outsider).post(accept_url(invitation_id)), 404, "not_found")
        assert Event.objects.filter(type="InvitationRevoked", actor_id=team.admin.pk).exists()

    def test_an_admin_may_not_revoke_an_owner_invitation(self, team: Any) -> None:
        # given the owner invited someone as owner
        invitation_id = invite(team, team.outsider.pk, "owner").json()["id"]

        # when an admin revokes it
        response = team.client("admin").delete(invitation_url(team.workspace.pk, invitation_id))

        # then 403 and it stays open
        assert_error(response, 403, "permission_denied")
        assert [i["id"] for i in received(team.outsider)] == [invitation_id]

    @pytest.mark.parametrize(
        ("role", "status"), [("member", 403), ("viewer", 403), ("outsider", 404)]
    )
    def test_below_admin_nothing_is_listed_or_revoked(
        self, team: Any, role: str, status: int
    ) -> None:
        # given an open invitation
        invitation_id = invite(team, MISSING_ID).json()["id"]
        client = team.client(role)

        # when a member, viewer or outsider lists or revokes it
        listed = client.get(invitations_url(team.workspace.pk))
        revoked = client.delete(invitation_url(team.workspace.pk, invitation_id))

        # then 403 (404 outside the workspace) and it stays open
        code = "permission_denied" if status == 403 else "not_found"
        assert_error(listed, status, code)
        assert_error(revoked, status, code)
        assert Invitation.objects.filter(pk=invitation_id).exists()

    def test_an_invitation_of_another_workspace_is_404(self, team: Any) -> None:
        # given an invitation of another workspace the owner also manages
        other = MembershipFactory(user=team.owner, role=Role.OWNER).workspace
        foreign = commands.invitation_create(
            actor=team.owner, workspace=other, user_id=MISSING_ID, role=Role.MEMBER
        )

        # when the owner revokes it through this workspace's URL
        response = team.client("owner").delete(invitation_url(team.workspace.pk, foreign.pk))

        # then 404, and it is still open
        assert_error(response, 404, "not_found")
        assert Invitation.objects.filter(pk=foreign.pk).exists()

    def test_invitations_are_rate_limited_with_additions(self, team: Any, settings: Any) -> None:
        settings.THROTTLE_RATE_MEMBER_ADD = "2/hour"
        statuses = [invite(team, MISSING_ID - n).status_code for n in range(3)]
        assert statuses == [202, 202, 429]
