"""Every access_* function of workspaces/access.py, against real users and objects."""

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.conftest import ROLES
from tests.factories import (
    CommentFactory,
    LabelFactory,
    MembershipFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
)
from workspaces.access import (
    access_can_delete_task,
    access_can_grant,
    access_is_owner,
    access_is_workspace_admin,
    access_owner_id,
    access_require_role,
    access_role,
    access_role_at_least,
    access_workspace_id,
)
from workspaces.models import Membership, Role

ORDER = [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]


@pytest.mark.django_db
class TestAccessRole:
    @pytest.mark.parametrize("role", ROLES)
    def test_a_members_role(self, team: Any, role: str) -> None:
        # when asking for the role of each member
        # then it is their membership's role, as a Role
        answer = access_role(team.user(role), team.workspace.pk)
        assert answer == Role(role)
        assert isinstance(answer, Role)

    def test_outsider_has_no_role(self, team: Any) -> None:
        # then someone outside the workspace has none
        assert access_role(team.outsider, team.workspace.pk) is None

    def test_anonymous_has_no_role_and_costs_no_query(
        self, team: Any, django_assert_num_queries: Any
    ) -> None:
        # when asking for an anonymous user's role
        with django_assert_num_queries(0):
            answer = access_role(AnonymousUser(), team.workspace.pk)

        # then there is none, and the database was not asked
        assert answer is None

    def test_role_is_per_workspace(self, team: Any) -> None:
        # given the viewer owns another workspace
        other = MembershipFactory(user=team.viewer, role=Role.OWNER).workspace

        # then each workspace answers its own role
        assert access_role(team.viewer, team.workspace.pk) == Role.VIEWER
        assert access_role(team.viewer, other.pk) == Role.OWNER

    def test_missing_workspace_has_no_role(self, team: Any) -> None:
        # when asking about a workspace id that does not exist, then there is no role
        assert access_role(team.owner, 2_147_483_647) is None


class TestAccessRoleAtLeast:
    @pytest.mark.parametrize("role", ORDER)
    @pytest.mark.parametrize("minimum", ORDER)
    def test_ranks_are_ordered(self, role: Role, minimum: Role) -> None:
        # then a role meets a minimum exactly when it ranks at or above it
        assert access_role_at_least(role, minimum) is (ORDER.index(role) >= ORDER.index(minimum))

    @pytest.mark.parametrize("minimum", ORDER)
    def test_no_role_meets_nothing(self, minimum: Role) -> None:
        # given no role at all, then no minimum is met
        assert access_role_at_least(None, minimum) is False

    def test_plain_strings_rank_like_roles(self) -> None:
        # given role values as they come out of the database
        # then they compare like the enum
        assert access_role_at_least("admin", Role.MEMBER) is True  # type: ignore[arg-type]
        assert access_role_at_least("viewer", Role.MEMBER) is False  # type: ignore[arg-type]


@pytest.mark.django_db
class TestAccessRequireRole:
    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("minimum", ORDER)
    def test_matrix(self, team: Any, role: str, minimum: Role) -> None:
        # given a member of some role and a required minimum
        user = team.user(role)
        allowed = ORDER.index(Role(role)) >= ORDER.index(minimum)

        # when the role is required
        if allowed:
            # then it is returned when high enough
            assert access_require_role(user, team.workspace.pk, minimum) == Role(role)
        else:
            # else it is refused with a message naming the minimum
            with pytest.raises(PermissionDenied, match=minimum.label.lower()):
                access_require_role(user, team.workspace.pk, minimum)

    @pytest.mark.parametrize("minimum", ORDER)
    def test_outsider_gets_404_not_403(self, team: Any, minimum: Role) -> None:
        # when an outsider is required to hold any role, then the workspace does not exist
        with pytest.raises(Http404):
            access_require_role(team.outsider, team.workspace.pk, minimum)

    def test_anonymous_gets_404(self, team: Any) -> None:
        # when an anonymous user is required to be a viewer, then the workspace does not exist
        with pytest.raises(Http404):
            access_require_role(AnonymousUser(), team.workspace.pk, Role.VIEWER)


class TestAccessCanGrant:
    @pytest.mark.parametrize(
        ("actor", "target", "allowed"),
        [
            (Role.OWNER, Role.OWNER, True),
            (Role.OWNER, Role.ADMIN, True),
            (Role.OWNER, Role.MEMBER, True),
            (Role.OWNER, Role.VIEWER, True),
            (Role.ADMIN, Role.OWNER, False),
            (Role.ADMIN, Role.ADMIN, True),
            (Role.ADMIN, Role.MEMBER, True),
            (Role.ADMIN, Role.VIEWER, True),
            (Role.MEMBER, Role.OWNER, False),
            (Role.MEMBER, Role.ADMIN, False),
            (Role.MEMBER, Role.MEMBER, False),
            (Role.MEMBER, Role.VIEWER, False),
            (Role.VIEWER, Role.OWNER, False),
            (Role.VIEWER, Role.ADMIN, False),
            (Role.VIEWER, Role.MEMBER, False),
            (Role.VIEWER, Role.VIEWER, False),
        ],
    )
    def test_matrix(self, actor: Role, target: Role, allowed: bool) -> None:
        # then admins grant up to admin and only owners grant ownership
        assert access_can_grant(actor, target) is allowed

    def test_string_target_owner_is_recognised(self) -> None:
        # given the role as a validated request value (a plain string)
        # then "owner" is still reserved to owners
        assert access_can_grant(Role.ADMIN, "owner") is False  # type: ignore[arg-type]
        assert access_can_grant(Role.OWNER, "owner") is True  # type: ignore[arg-type]


@pytest.mark.django_db
class TestAccessOwnerId:
    def test_comment_is_owned_by_its_author(self, team: Any) -> None:
        # given a comment by the viewer, then the viewer owns it
        comment = CommentFactory(task=TaskFactory(project=team.project), author=team.viewer)
        assert access_owner_id(comment) == team.viewer.pk

    def test_task_is_owned_by_its_creator(self, team: Any) -> None:
        # given a task created by the member, then the member owns it
        task = TaskFactory(project=team.project, created_by=team.member)
        assert access_owner_id(task) == team.member.pk

    def test_project_is_owned_by_its_creator(self, team: Any) -> None:
        # given a project created by the admin, then the admin owns it
        project = ProjectFactory(workspace=team.workspace, created_by=team.admin)
        assert access_owner_id(project) == team.admin.pk

    def test_membership_is_owned_by_its_member(self, team: Any) -> None:
        # given the member's membership, then the member owns it
        membership = Membership.objects.get(workspace=team.workspace, user=team.member)
        assert access_owner_id(membership) == team.member.pk

    def test_label_has_no_owner(self, team: Any) -> None:
        # given a label (no author, creator or user), then nobody owns it
        assert access_owner_id(LabelFactory(workspace=team.workspace)) is None

    def test_comment_of_a_deleted_author_has_no_owner(self, team: Any) -> None:
        # given a comment whose author was deleted
        author = UserFactory()
        comment = CommentFactory(task=TaskFactory(project=team.project), author=author)
        author.delete()
        comment.refresh_from_db()

        # then nobody owns it
        assert access_owner_id(comment) is None

    def test_author_wins_over_other_attributes(self) -> None:
        # given an object with an author, a creator and a user (in that precedence)
        class Thing:
            author_id = 1
            created_by_id = 2
            user_id = 3

        # then the author owns it
        assert access_owner_id(Thing()) == 1

    def test_plain_object_has_no_owner(self) -> None:
        # given an object without any owner attribute, then nobody owns it
        assert access_owner_id(object()) is None


@pytest.mark.django_db
class TestAccessIsOwner:
    @pytest.mark.parametrize(("role", "owns"), [(r, r == "owner") for r in ROLES])
    def test_workspace_is_owned_through_the_owner_role(
        self, team: Any, role: str, owns: bool
    ) -> None:
        # then only members with the owner role own the workspace
        assert access_is_owner(team.user(role), team.workspace) is owns

    def test_workspace_creator_without_the_owner_role_does_not_own_it(self, team: Any) -> None:
        # given the workspace was created by someone who is now only an admin
        team.workspace.created_by = team.admin
        team.workspace.save()

        # then the owner role decides, not the creator column
        assert access_is_owner(team.admin, team.workspace) is False
        assert access_is_owner(team.owner, team.workspace) is True

    def test_outsider_does_not_own_the_workspace(self, team: Any) -> None:
        # then someone outside the workspace does not own it
        assert access_is_owner(team.outsider, team.workspace) is False

    @pytest.mark.parametrize("role", ROLES)
    def test_comment_is_owned_only_by_its_author(self, team: Any, role: str) -> None:
        # given a comment by the member, then only the member owns it, whatever the others' roles
        comment = CommentFactory(task=TaskFactory(project=team.project), author=team.member)
        assert access_is_owner(team.user(role), comment) is (role == "member")

    def test_task_is_owned_by_its_creator(self, team: Any) -> None:
        # given a task created by the viewer, then the viewer owns it and the owner does not
        task = TaskFactory(project=team.project, created_by=team.viewer)
        assert access_is_owner(team.viewer, task) is True
        assert access_is_owner(team.owner, task) is False

    def test_membership_is_owned_by_its_member(self, team: Any) -> None:
        # given the viewer's membership, then the viewer owns it and the owner does not
        membership = Membership.objects.get(workspace=team.workspace, user=team.viewer)
        assert access_is_owner(team.viewer, membership) is True
        assert access_is_owner(team.owner, membership) is False

    def test_ownerless_objects_are_owned_by_nobody(self, team: Any) -> None:
        # given a task without creator and a label, then no role owns either
        task = TaskFactory(project=team.project, created_by=None)
        label = LabelFactory(workspace=team.workspace)
        for role in ROLES:
            assert access_is_owner(team.user(role), task) is False
            assert access_is_owner(team.user(role), label) is False

    def test_anonymous_owns_nothing(self, team: Any) -> None:
        # then an anonymous user owns neither a workspace nor a task
        task = TaskFactory(project=team.project, created_by=None)
        assert access_is_owner(AnonymousUser(), team.workspace) is False
        assert access_is_owner(AnonymousUser(), task) is False


@pytest.mark.django_db
class TestAccessWorkspaceId:
    def test_each_kind_of_object_names_its_workspace(self, team: Any) -> None:
        # given one object of every kind in the team's workspace
        task = TaskFactory(project=team.project)
        objects = {
            "workspace": team.workspace,
            "project": team.project,
            "label": LabelFactory(workspace=team.workspace),
            "membership": Membership.objects.get(workspace=team.workspace, user=team.member),
            "task": task,
            "comment": CommentFactory(task=task),
        }

        # then each one resolves to the workspace
        assert {name: access_workspace_id(obj) for name, obj in objects.items()} == dict.fromkeys(
            objects, team.workspace.pk
        )

    def test_an_unrelated_object_has_no_workspace(self) -> None:
        # given an object outside the domain, then it has no workspace
        assert access_workspace_id(object()) is None


@pytest.mark.django_db
class TestAccessIsWorkspaceAdmin:
    @pytest.mark.parametrize(("role", "admin"), [(r, r in ("owner", "admin")) for r in ROLES])
    def test_admins_and_owners_administer_every_object_of_the_workspace(
        self, team: Any, role: str, admin: bool
    ) -> None:
        # given objects of several kinds in the workspace
        task = TaskFactory(project=team.project)
        objects = [team.workspace, team.project, task, CommentFactory(task=task)]

        # then admin-ness follows the role, whatever the object
        assert [access_is_workspace_admin(team.user(role), obj) for obj in objects] == [admin] * 4

    def test_admin_of_another_workspace_is_not_admin_here(self, team: Any) -> None:
        # given someone who administers another workspace
        stranger = MembershipFactory(role=Role.ADMIN).user

        # then they are no admin of the team's objects
        assert access_is_workspace_admin(stranger, team.project) is False

    def test_object_without_a_workspace_has_no_admins(self, team: Any) -> None:
        # given an object without a workspace, then not even an owner administers it
        assert access_is_workspace_admin(team.owner, object()) is False

    def test_anonymous_is_no_admin(self, team: Any) -> None:
        # then an anonymous user administers nothing
        assert access_is_workspace_admin(AnonymousUser(), team.project) is False


@pytest.mark.django_db
class TestAccessCanDeleteTask:
    @pytest.mark.parametrize(
        ("role", "own_task", "allowed"),
        [
            ("owner", False, True),
            ("admin", False, True),
            ("member", True, True),
            ("member", False, False),
            ("viewer", True, False),
            ("viewer", False, False),
        ],
    )
    def test_matrix(self, team: Any, role: str, own_task: bool, allowed: bool) -> None:
        # given a task created by the actor or by someone else
        user = team.user(role)
        someone_else = team.member if role == "owner" else team.owner
        task = TaskFactory(project=team.project, created_by=user if own_task else someone_else)

        # then admins delete any task, members their own, viewers none
        assert access_can_delete_task(user, Role(role), task) is allowed

    def test_task_without_creator_is_deleted_only_by_admins(self, team: Any) -> None:
        # given a task nobody created (imported), then only admins may delete it
        task = TaskFactory(project=team.project, created_by=None)
        assert access_can_delete_task(team.member, Role.MEMBER, task) is False
        assert access_can_delete_task(team.admin, Role.ADMIN, task) is True
