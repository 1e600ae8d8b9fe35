"""The workspace, member, project and label commands, called directly: roles and invariants."""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from tests.conftest import ROLES, requires_postgres
from tests.factories import LabelFactory, MembershipFactory, UserFactory, WorkspaceFactory
from workspaces import commands
from workspaces.models import Invitation, Label, Membership, Project, Role, Workspace

RANK = {"viewer": 1, "member": 2, "admin": 3, "owner": 4}


def world_state() -> tuple[list[Any], ...]:
    """Every row these commands can write, for proving that a refused call wrote nothing."""
    return (
        list(Workspace.objects.order_by("id").values_list("id", "name", "description")),
        list(Membership.objects.order_by("id").values_list("workspace_id", "user_id", "role")),
        list(
            Project.objects.order_by("id").values_list("id", "workspace_id", "name", "description")
        ),
        list(Label.objects.order_by("id").values_list("id", "workspace_id", "name", "color")),
        list(
            Invitation.objects.order_by("id").values_list(
                "id", "workspace_id", "invitee_id", "role", "expires_at"
            )
        ),
    )


def roles_of(workspace: Workspace) -> dict[int, str]:
    return dict(Membership.objects.filter(workspace=workspace).values_list("user_id", "role"))


def membership(workspace: Workspace, user: Any) -> Membership:
    return Membership.objects.get(workspace=workspace, user=user)


@dataclass
class Context:
    """The team plus what the commands act on, created before any snapshot is taken."""

    team: Any
    newcomer: Any
    extra_viewer: Membership
    label: Label
    invitation: Invitation


@pytest.fixture
def ctx(team: Any) -> Context:
    return Context(
        team=team,
        newcomer=UserFactory(),
        extra_viewer=MembershipFactory(workspace=team.workspace, role=Role.VIEWER),
        label=LabelFactory(workspace=team.workspace, name="bug"),
        invitation=commands.invitation_create(
            actor=team.owner, workspace=team.workspace, user_id=2_147_483_000, role=Role.MEMBER
        ),
    )


# Each command with the lowest role allowed to run it, and a call on the team's workspace.
GUARDED: dict[str, tuple[str, Callable[[Context, Any], Any]]] = {
    "workspace_update": (
        "admin",
        lambda c, actor: commands.workspace_update(
            actor=actor, workspace=c.team.workspace, name="X"
        ),
    ),
    "workspace_delete": (
        "owner",
        lambda c, actor: commands.workspace_delete(actor=actor, workspace=c.team.workspace),
    ),
    "workspace_transfer": (
        "owner",
        lambda c, actor: commands.workspace_transfer(
            actor=actor, workspace=c.team.workspace, new_owner=c.extra_viewer.user
        ),
    ),
    "member_add": (
        "admin",
        lambda c, actor: commands.member_add(
            actor=actor, workspace=c.team.workspace, user=c.newcomer, role=Role.VIEWER
        ),
    ),
    "member_add_or_invite": (
        "admin",
        lambda c, actor: commands.member_add_or_invite(
            actor=actor, workspace=c.team.workspace, user_id=c.newcomer.pk, role=Role.VIEWER
        ),
    ),
    "invitation_create": (
        "admin",
        lambda c, actor: commands.invitation_create(
            actor=actor, workspace=c.team.workspace, user_id=c.newcomer.pk, role=Role.VIEWER
        ),
    ),
    "invitation_revoke": (
        "admin",
        lambda c, actor: commands.invitation_revoke(actor=actor, invitation=c.invitation),
    ),
    "member_change_role": (
        "admin",
        lambda c, actor: commands.member_change_role(
            actor=actor, membership=c.extra_viewer, role=Role.MEMBER
        ),
    ),
    "member_remove": (
        "admin",
        lambda c, actor: commands.member_remove(actor=actor, membership=c.extra_viewer),
    ),
    "project_create": (
        "admin",
        lambda c, actor: commands.project_create(actor=actor, workspace=c.team.workspace, name="P"),
    ),
    "project_update": (
        "admin",
        lambda c, actor: commands.project_update(actor=actor, project=c.team.project, name="P2"),
    ),
    "project_delete": (
        "admin",
        lambda c, actor: commands.project_delete(actor=actor, project=c.team.project),
    ),
    "label_create": (
        "admin",
        lambda c, actor: commands.label_create(actor=actor, workspace=c.team.workspace, name="new"),
    ),
    "label_update": (
        "admin",
        lambda c, actor: commands.label_update(actor=actor, label=c.label, color="#000000"),
    ),
    "label_delete": (
        "admin",
        lambda c, actor: commands.label_delete(actor=actor, label=c.label),
    ),
}


@pytest.mark.django_db
class TestRoleEnforcement:
    @pytest.mark.parametrize("name", sorted(GUARDED))
    @pytest.mark.parametrize("role", ROLES)
    def test_role_matrix(self, ctx: Context, name: str, role: str) -> None:
        # given a command, its minimum role and an actor of some role
        minimum, call = GUARDED[name]
        actor = ctx.team.user(role)
        before = world_state()

        if RANK[role] >= RANK[minimum]:
            # when a high enough role runs it, then it writes
            call(ctx, actor)
            assert world_state() != before
        else:
            # when a lower role runs it, then it is refused and nothing is written
            with pytest.raises(PermissionDenied):
                call(ctx, actor)
            assert world_state() == before

    @pytest.mark.parametrize("name", sorted(GUARDED))
    def test_outsider_gets_404(self, ctx: Context, name: str) -> None:
        # given someone outside the workspace
        before = world_state()

        # when they run any command on it, then it does not exist for them
        with pytest.raises(Http404):
            GUARDED[name][1](ctx, ctx.team.outsider)
        assert world_state() == before

    @pytest.mark.parametrize("name", sorted(GUARDED))
    def test_role_elsewhere_does_not_count(self, ctx: Context, name: str) -> None:
        # given the owner of a different workspace
        stranger = MembershipFactory(role=Role.OWNER).user
        before = world_state()

        # then owning another workspace gives no power over this one
        with pytest.raises(Http404):
            GUARDED[name][1](ctx, stranger)
        assert world_state() == before


@pytest.mark.django_db
class TestWorkspaceCommands:
    def test_create_makes_the_actor_the_only_owner(self) -> None:
        # given a user
        actor = UserFactory()

        # when they create a workspace
        workspace = commands.workspace_create(actor=actor, name="New", description="d")

        # then it is stored with them as creator and sole owner
        workspace.refresh_from_db()
        assert (workspace.name, workspace.description, workspace.created_by_id) == (
            "New",
            "d",
            actor.pk,
        )
        assert roles_of(workspace) == {actor.pk: "owner"}

    def test_update_changes_only_the_named_fields(self, team: Any) -> None:
        # given the current description
        description = team.workspace.description

        # when the admin renames the workspace and passes an unknown change
        commands.workspace_update(
            actor=team.admin, workspace=team.workspace, name="Renamed", created_by=team.viewer
        )

        # then only the name changed; created_by is not a field the command writes
        team.workspace.refresh_from_db()
        assert (team.workspace.name, team.workspace.description) == ("Renamed", description)
        assert team.workspace.created_by_id != team.viewer.pk

    def test_delete_cascades(self, team: Any) -> None:
        # when the owner deletes the workspace
        workspace_id = team.workspace.pk
        commands.workspace_delete(actor=team.owner, workspace=team.workspace)

        # then its memberships and projects go with it
        assert not Workspace.objects.filter(pk=workspace_id).exists()
        assert not Membership.objects.filter(workspace_id=workspace_id).exists()
        assert not Project.objects.filter(workspace_id=workspace_id).exists()


@pytest.mark.django_db
class TestTransfer:
    def test_hands_over_and_keeps_the_previous_owner_as_admin(self, team: Any) -> None:
        # when the owner transfers to the viewer
        result = commands.workspace_transfer(
            actor=team.owner, workspace=team.workspace, new_owner=team.viewer
        )

        # then the viewer owns it, alone, and the previous owner is an admin
        assert (result.user_id, result.role) == (team.viewer.pk, Role.OWNER)
        roles = roles_of(team.workspace)
        assert (roles[team.viewer.pk], roles[team.owner.pk]) == ("owner", "admin")
        assert list(roles.values()).count("owner") == 1

    def test_to_oneself_is_refused(self, team: Any) -> None:
        # when the owner transfers to themselves, then the user is at fault and nothing changes
        before = world_state()
        with pytest.raises(ValidationError) as refused:
            commands.workspace_transfer(
                actor=team.owner, workspace=team.workspace, new_owner=team.owner
            )
        assert refused.value.message_dict == {"user": ["You already own this workspace."]}
        assert world_state() == before

    def test_to_a_non_member_is_refused(self, team: Any) -> None:
        # when the owner transfers to an outsider, then the user is at fault and nothing changes
        before = world_state()
        with pytest.raises(ValidationError) as refused:
            commands.workspace_transfer(
                actor=team.owner, workspace=team.workspace, new_owner=team.outsider
            )
        assert refused.value.message_dict == {"user": ["The new owner must already be a member."]}
        assert world_state() == before

    def test_to_a_member_of_another_workspace_is_refused(self, team: Any) -> None:
        # given the outsider is a member somewhere else
        MembershipFactory(user=team.outsider, role=Role.MEMBER)
        before = world_state()

        # then that membership does not qualify them here
        with pytest.raises(ValidationError):
            commands.workspace_transfer(
                actor=team.owner, workspace=team.workspace, new_owner=team.outsider
            )
        assert world_state() == before

    def test_to_a_co_owner_leaves_them_owner(self, team: Any) -> None:
        # given the admin is a second owner
        Membership.objects.filter(workspace=team.workspace, user=team.admin).update(role=Role.OWNER)

        # when the first owner transfers to them
        commands.workspace_transfer(
            actor=team.owner, workspace=team.workspace, new_owner=team.admin
        )

        # then one owner remains, the other steps down to admin
        roles = roles_of(team.workspace)
        assert (roles[team.admin.pk], roles[team.owner.pk]) == ("owner", "admin")

    def test_previous_owners_membership_records_the_change(self, team: Any) -> None:
        # given when the owner's membership was last updated
        before = membership(team.workspace, team.owner).updated_at

        # when they transfer the workspace
        commands.workspace_transfer(
            actor=team.owner, workspace=team.workspace, new_owner=team.member
        )

        # then their membership, now admin, carries a newer updated_at
        after = membership(team.workspace, team.owner)
        assert after.role == Role.ADMIN
        assert after.updated_at > before


@pytest.mark.django_db
class TestMemberAdd:
    @pytest.mark.parametrize(
        ("actor", "granted", "allowed"),
        [
            ("owner", Role.OWNER, True),
            ("admin", Role.OWNER, False),
            ("admin", Role.ADMIN, True),
            ("admin", Role.VIEWER, True),
        ],
    )
    def test_only_owners_grant_ownership(
        self, team: Any, actor: str, granted: Role, allowed: bool
    ) -> None:
        # given the state before
        before = world_state()

        if allowed:
            # when an owner grants ownership, or an admin anything below it, then it is stored
            added = commands.member_add(
                actor=team.user(actor), workspace=team.workspace, user=team.outsider, role=granted
            )
            assert (added.user_id, added.role) == (team.outsider.pk, granted)
            assert roles_of(team.workspace)[team.outsider.pk] == granted
        else:
            # when an admin grants ownership, then it is refused
            with pytest.raises(PermissionDenied):
                commands.member_add(
                    actor=team.user(actor),
                    workspace=team.workspace,
                    user=team.outsider,
                    role=granted,
                )
            assert world_state() == before

    def test_duplicate_is_a_validation_error_and_the_transaction_stays_usable(
        self, team: Any
    ) -> None:
        before = world_state()

        # when the owner adds an existing member again
        with pytest.raises(ValidationError) as refused:
            commands.member_add(
                actor=team.owner, workspace=team.workspace, user=team.viewer, role=Role.ADMIN
            )

        # then the user is at fault, their role is unchanged, and the database still answers
        assert refused.value.message_dict == {"user": ["This user is already a member."]}
        assert world_state() == before


@pytest.mark.django_db
class TestMemberChangeRole:
    def test_admin_cannot_touch_an_owner(self, team: Any) -> None:
        # when an admin demotes the owner, then it is refused and nothing changes
        before = world_state()
        with pytest.raises(PermissionDenied):
            commands.member_change_role(
                actor=team.admin, membership=membership(team.workspace, team.owner), role=Role.ADMIN
            )
        assert world_state() == before

    def test_admin_cannot_promote_to_owner(self, team: Any) -> None:
        # when an admin promotes themselves to owner, then it is refused
        before = world_state()
        with pytest.raises(PermissionDenied):
            commands.member_change_role(
                actor=team.admin, membership=membership(team.workspace, team.admin), role=Role.OWNER
            )
        assert world_state() == before

    @pytest.mark.parametrize("new_role", [Role.ADMIN, Role.MEMBER, Role.VIEWER])
    def test_last_owner_cannot_be_demoted(self, team: Any, new_role: Role) -> None:
        # when the only owner demotes themselves, then the role is at fault
        before = world_state()
        with pytest.raises(ValidationError) as refused:
            commands.member_change_role(
                actor=team.owner, membership=membership(team.workspace, team.owner), role=new_role
            )
        assert refused.value.message_dict == {"role": ["A workspace keeps at least one owner."]}
        assert world_state() == before

    def test_last_owner_may_be_re_granted_owner(self, team: Any) -> None:
        # when the only owner sets their role to owner again, then nothing breaks
        result = commands.member_change_role(
            actor=team.owner, membership=membership(team.workspace, team.owner), role=Role.OWNER
        )
        assert result.role == Role.OWNER

    def test_owner_promotes_a_second_owner_who_may_then_demote_the_first(self, team: Any) -> None:
        # given the owner promotes the member to owner
        commands.member_change_role(
            actor=team.owner, membership=membership(team.workspace, team.member), role=Role.OWNER
        )

        # when the new owner demotes the first one
        commands.member_change_role(
            actor=team.member, membership=membership(team.workspace, team.owner), role=Role.VIEWER
        )

        # then exactly one owner remains
        roles = roles_of(team.workspace)
        assert (roles[team.member.pk], roles[team.owner.pk]) == ("owner", "viewer")

    def test_uses_the_stored_role_not_the_callers_copy(self, team: Any) -> None:
        # given a stale in-memory copy that still says "viewer" for someone now an owner
        stale = membership(team.workspace, team.viewer)
        Membership.objects.filter(pk=stale.pk).update(role=Role.OWNER)
        before = world_state()

        # when an admin demotes them through the stale copy
        # then the stored role (owner) decides: refused
        with pytest.raises(PermissionDenied):
            commands.member_change_role(actor=team.admin, membership=stale, role=Role.MEMBER)
        assert world_state() == before


@pytest.mark.django_db
class TestMemberRemove:
    @pytest.mark.parametrize("role", ["admin", "member", "viewer"])
    def test_anyone_below_owner_may_leave(self, team: Any, role: str) -> None:
        # when an admin, member or viewer leaves, then their membership is gone
        user = team.user(role)
        commands.member_remove(actor=user, membership=membership(team.workspace, user))
        assert user.pk not in roles_of(team.workspace)

    def test_last_owner_may_not_leave(self, team: Any) -> None:
        # when the only owner leaves, then the user is at fault and they stay
        before = world_state()
        with pytest.raises(ValidationError) as refused:
            commands.member_remove(
                actor=team.owner, membership=membership(team.workspace, team.owner)
            )
        assert refused.value.message_dict == {"user": ["A workspace keeps at least one owner."]}
        assert world_state() == before

    def test_admin_may_not_remove_an_owner(self, team: Any) -> None:
        # when an admin removes the owner, then it is refused
        before = world_state()
        with pytest.raises(PermissionDenied):
            commands.member_remove(
                actor=team.admin, membership=membership(team.workspace, team.owner)
            )
        assert world_state() == before

    @pytest.mark.parametrize(("actor", "target"), [("member", "viewer"), ("viewer", "member")])
    def test_members_may_not_remove_others(self, team: Any, actor: str, target: str) -> None:
        # when a member or viewer removes someone else, then it is refused
        before = world_state()
        with pytest.raises(PermissionDenied):
            commands.member_remove(
                actor=team.user(actor), membership=membership(team.workspace, team.user(target))
            )
        assert world_state() == before

    def test_owner_removes_a_co_owner_but_not_the_last_one(self, team: Any) -> None:
        # given the admin is a second owner
        Membership.objects.filter(workspace=team.workspace, user=team.admin).update(role=Role.OWNER)

        # when the owner removes them, then that works
        commands.member_remove(actor=team.owner, membership=membership(team.workspace, team.admin))
        assert team.admin.pk not in roles_of(team.workspace)

        # and when the owner then leaves, they are the last one: refused
        with pytest.raises(ValidationError):
            commands.member_remove(
                actor=team.owner, membership=membership(team.workspace, team.owner)
            )
        assert roles_of(team.workspace)[team.owner.pk] == "owner"


@pytest.mark.django_db
class TestProjectsAndLabels:
    def test_project_create_records_its_creator(self, team: Any) -> None:
        # when an admin creates a project, then it is stored with them as its creator
        project = commands.project_create(
            actor=team.admin, workspace=team.workspace, name="Roadmap", description="2030"
        )
        project.refresh_from_db()
        assert (project.workspace_id, project.name, project.description, project.created_by_id) == (
            team.workspace.pk,
            "Roadmap",
            "2030",
            team.admin.pk,
        )

    def test_project_update_ignores_fields_it_does_not_own(self, team: Any) -> None:
        # given another workspace
        other = WorkspaceFactory()

        # when the admin renames the project and tries to move it
        commands.project_update(
            actor=team.admin, project=team.project, name="Renamed", workspace=other
        )

        # then it is renamed, and stays in its workspace
        team.project.refresh_from_db()
        assert (team.project.name, team.project.workspace_id) == ("Renamed", team.workspace.pk)

    def test_label_create_defaults_the_colour(self, team: Any) -> None:
        # when an admin creates a label without a colour, then it gets the default grey
        label = commands.label_create(actor=team.admin, workspace=team.workspace, name="ops")
        label.refresh_from_db()
        assert label.color == "#6b7280"

    def test_label_name_is_unique_per_workspace(self, ctx: Context) -> None:
        team = ctx.team
        before = world_state()

        # when the admin creates a second "bug" label in the same workspace
        with pytest.raises(ValidationError) as refused:
            commands.label_create(actor=team.admin, workspace=team.workspace, name="bug")

        # then the name is at fault and nothing was stored
        assert refused.value.message_dict == {
            "name": ["A label with this name exists in the workspace."]
        }
        assert world_state() == before

    def test_same_label_name_in_another_workspace_is_fine(self, ctx: Context) -> None:
        # given the admin also administers a second workspace
        other = MembershipFactory(user=ctx.team.admin, role=Role.ADMIN).workspace

        # then "bug" may exist there too
        label = commands.label_create(actor=ctx.team.admin, workspace=other, name="bug")
        assert Label.objects.filter(name="bug").count() == 2
        assert label.workspace_id == other.pk

    def test_label_rename_onto_an_existing_name_is_refused(self, ctx: Context) -> None:
        # given a second label
        feature = LabelFactory(workspace=ctx.team.workspace, name="feature")
        before = world_state()

        # when the admin renames it to "bug"
        with pytest.raises(ValidationError) as refused:
            commands.label_update(actor=ctx.team.admin, label=feature, name="bug")

        # then the name is at fault and the database is unchanged
        assert list(refused.value.message_dict) == ["name"]
        assert world_state() == before


# ---------------------------------------------------------------------------------------------
# Concurrency: the "at least one owner" invariant under two simultaneous requests.
# ---------------------------------------------------------------------------------------------


def _interleave(monkeypatch: Any, first: Callable[[], Any], second: Callable[[], Any]) -> list[str]:
    """Runs two commands in two threads so that both count the owners before either writes,
    then the first commits, and only then does the second go on with the count it read.

    A command that serialises the check (a lock taken before counting) makes one call block
    before it counts; the barrier then times out and that call counts after the other commits.
    """
    counted = threading.Barrier(2, timeout=2)
    first_done = threading.Event()
    count_owners = commands._owner_count

    def count_then_wait(workspace_id: int) -> int:
        count = count_owners(workspace_id)
        try:
            counted.wait()
        except threading.BrokenBarrierError:
            return count  # the other call is blocked on a lock: the command serialises
        if threading.current_thread().name == "second":
            first_done.wait(timeout=10)
        return count

    monkeypatch.setattr(commands, "_owner_count", count_then_wait)
    outcomes = {"first": "", "second": ""}

    def run(call: Callable[[], Any]) -> None:
        name = threading.current_thread().name
        try:
            call()
            outcomes[name] = "done"
        except Exception as exc:
            outcomes[name] = type(exc).__name__
        finally:
            connection.close()
            if name == "first":
                first_done.set()

    threads = [
        threading.Thread(target=run, args=(call,), name=name)
        for name, call in (("first", first), ("second", second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return [outcomes["first"], outcomes["second"]]


# Row locks (SELECT ... FOR UPDATE) decide the race; SQLite locks the whole file instead, and the
# second writer fails with "database is locked" rather than waiting for the first.
@requires_postgres
@pytest.mark.django_db(transaction=True)
class TestOwnerInvariantUnderConcurrency:
    def test_two_owners_demoting_each_other(self, monkeypatch: Any) -> None:
        # given a workspace with exactly two owners
        workspace = WorkspaceFactory()
        first = MembershipFactory(workspace=workspace, role=Role.OWNER)
        second = MembershipFactory(workspace=workspace, role=Role.OWNER)

        # when each demotes the other at the same moment
        outcomes = _interleave(
            monkeypatch,
            lambda: commands.member_change_role(
                actor=first.user, membership=second, role=Role.ADMIN
            ),
            lambda: commands.member_change_role(
                actor=second.user, membership=first, role=Role.ADMIN
            ),
        )

        # then one succeeds, the other is refused by the rule, and an owner remains
        owners = Membership.objects.filter(workspace=workspace, role=Role.OWNER).count()
        assert owners == 1, outcomes
        assert sorted(outcomes) == ["ValidationError", "done"]

    def test_two_owners_leaving_at_once(self, monkeypatch: Any) -> None:
        # given a workspace with exactly two owners
        workspace = WorkspaceFactory()
        first = MembershipFactory(workspace=workspace, role=Role.OWNER)
        second = MembershipFactory(workspace=workspace, role=Role.OWNER)

        # when both leave at the same moment
        outcomes = _interleave(
            monkeypatch,
            lambda: commands.member_remove(actor=first.user, membership=first),
            lambda: commands.member_remove(actor=second.user, membership=second),
        )

        # then one of them is still there, as owner, told why they could not leave
        owners = Membership.objects.filter(workspace=workspace, role=Role.OWNER).count()
        assert owners == 1, outcomes
        assert sorted(outcomes) == ["ValidationError", "done"]

    def test_sequential_calls_keep_an_owner(self) -> None:
        # given two owners; when they demote each other one after the other
        workspace = WorkspaceFactory()
        first = MembershipFactory(workspace=workspace, role=Role.OWNER)
        second = MembershipFactory(workspace=workspace, role=Role.OWNER)
        commands.member_change_role(actor=first.user, membership=second, role=Role.ADMIN)

        # then the second demotion is refused: the rule itself holds without concurrency
        with pytest.raises(PermissionDenied):
            commands.member_change_role(actor=second.user, membership=first, role=Role.ADMIN)
        assert Membership.objects.filter(workspace=workspace, role=Role.OWNER).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_accepts_of_one_invitation_make_one_membership() -> None:
    # given an invitation to a user, open in two of their requests at once
    owner, invitee = UserFactory(), UserFactory()
    workspace = commands.workspace_create(actor=owner, name="W")
    invitation = commands.invitation_create(
        actor=owner, workspace=workspace, user_id=invitee.pk, role=Role.MEMBER
    )
    start = threading.Barrier(2, timeout=5)
    outcomes: list[str] = []

    def accept() -> None:
        try:
            start.wait()
            commands.invitation_accept(actor=invitee, invitation=invitation)
            outcomes.append("done")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    # when both accept it
    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then one joins, the other finds no open invitation (404), and there is one membership
    assert sorted(outcomes) == ["Http404", "done"]
    assert roles_of(workspace) == {owner.pk: "owner", invitee.pk: "member"}
    assert not Invitation.objects.exists()
