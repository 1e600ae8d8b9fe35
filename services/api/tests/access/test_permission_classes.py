"""The six DRF permission classes, on APIRequestFactory requests and real objects."""

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from tests.conftest import ROLES
from tests.factories import (
    CommentFactory,
    LabelFactory,
    MembershipFactory,
    TaskFactory,
    UserFactory,
)
from workspaces.models import Membership, Role
from workspaces.permissions import (
    IsAdmin,
    IsAuthenticated,
    IsOwner,
    IsOwnerOrAdmin,
    IsOwnerOrReadOnly,
    IsSuperUser,
)

SAFE = ["GET", "HEAD", "OPTIONS"]
UNSAFE = ["POST", "PUT", "PATCH", "DELETE"]
VIEW = APIView()


def request_as(user: Any, method: str = "GET") -> Request:
    """A DRF request by this user, as the view's permission checks receive it."""
    request = Request(APIRequestFactory().generic(method, "/api/v1/anything/"))
    request.user = user
    return request


def refusal(permission: Any, request: Request, obj: Any = None) -> str | None:
    """What a view with only this permission answers: None when allowed, else the 403 detail."""
    view = APIView()
    view.get_permissions = lambda: [permission]  # type: ignore[method-assign]
    try:
        if obj is None:
            view.check_permissions(request)
        else:
            view.check_object_permissions(request, obj)
    except exceptions.PermissionDenied as denied:
        return str(denied.detail)
    except exceptions.NotAuthenticated:
        return "not authenticated"
    return None


@pytest.fixture
def people(db: None) -> dict[str, Any]:
    return {
        "anonymous": AnonymousUser(),
        "user": UserFactory(),
        "staff": UserFactory(is_staff=True),
        "superuser": UserFactory(is_superuser=True),
        "staff_superuser": UserFactory(is_staff=True, is_superuser=True),
    }


@pytest.mark.django_db
class TestPlatformLevel:
    @pytest.mark.parametrize(
        ("permission", "allowed"),
        [
            (IsAuthenticated, {"user", "staff", "superuser", "staff_superuser"}),
            (IsAdmin, {"staff", "staff_superuser"}),
            (IsSuperUser, {"superuser", "staff_superuser"}),
        ],
    )
    @pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
    def test_has_permission_matrix(
        self, people: dict[str, Any], permission: type, allowed: set[str], method: str
    ) -> None:
        # when each kind of user makes a request
        answers = {
            name: permission().has_permission(request_as(user, method), VIEW)
            for name, user in people.items()
        }

        # then exactly the expected kinds pass, whatever the method
        assert {name for name, ok in answers.items() if ok} == allowed

    @pytest.mark.parametrize(
        ("permission", "message"),
        [
            (IsAdmin, "This endpoint is for platform staff."),
            (IsSuperUser, "This endpoint is for superusers."),
        ],
    )
    def test_refusal_carries_the_class_message(
        self, people: dict[str, Any], permission: type, message: str
    ) -> None:
        # when a plain signed-in user hits a staff or superuser view
        # then DRF refuses with the class's own message
        assert refusal(permission(), request_as(people["user"])) == message

    @pytest.mark.parametrize(
        "permission",
        [IsAuthenticated, IsAdmin, IsSuperUser, IsOwner, IsOwnerOrReadOnly, IsOwnerOrAdmin],
    )
    def test_every_class_refuses_anonymous_at_view_level(
        self, people: dict[str, Any], permission: type
    ) -> None:
        # then no class lets an anonymous request reach the view
        assert permission().has_permission(request_as(people["anonymous"]), VIEW) is False

    @pytest.mark.parametrize("permission", [IsOwner, IsOwnerOrReadOnly, IsOwnerOrAdmin])
    def test_object_classes_let_any_signed_in_user_reach_the_view(
        self, people: dict[str, Any], permission: type
    ) -> None:
        # then the object-level classes decide per object, not per view
        assert permission().has_permission(request_as(people["user"], "DELETE"), VIEW) is True


@pytest.mark.django_db
class TestIsOwner:
    @pytest.mark.parametrize("role", [*ROLES, "outsider"])
    def test_workspace(self, team: Any, role: str) -> None:
        # then only a member with the owner role owns the workspace
        allowed = IsOwner().has_object_permission(
            request_as(team.user(role), "DELETE"), VIEW, team.workspace
        )
        assert allowed is (role == "owner")

    @pytest.mark.parametrize("role", [*ROLES, "outsider"])
    def test_comment(self, team: Any, role: str) -> None:
        # given a comment by the viewer
        comment = CommentFactory(task=TaskFactory(project=team.project), author=team.viewer)

        # when each role asks to change it
        allowed = IsOwner().has_object_permission(
            request_as(team.user(role), "PATCH"), VIEW, comment
        )

        # then only its author passes, whatever their role
        assert allowed is (role == "viewer")

    def test_task_and_membership(self, team: Any) -> None:
        # given a task created by the member and the viewer's membership
        task = TaskFactory(project=team.project, created_by=team.member)
        membership = Membership.objects.get(workspace=team.workspace, user=team.viewer)
        owner = IsOwner()

        # then the task's creator and the membership's member own them; an admin or owner
        # of the workspace does not
        assert owner.has_object_permission(request_as(team.member, "DELETE"), VIEW, task) is True
        assert owner.has_object_permission(request_as(team.admin, "DELETE"), VIEW, task) is False
        assert owner.has_object_permission(request_as(team.viewer), VIEW, membership) is True
        assert owner.has_object_permission(request_as(team.owner), VIEW, membership) is False

    def test_reading_is_no_exception(self, team: Any) -> None:
        # given a comment by the member
        comment = CommentFactory(task=TaskFactory(project=team.project), author=team.member)

        # then even a GET by someone else is refused, with the class message
        assert refusal(IsOwner(), request_as(team.admin, "GET"), comment) == (
            "Only the owner may do this."
        )

    def test_anonymous_owns_nothing(self, team: Any) -> None:
        # when an anonymous request reaches the object check, then it is refused
        assert (
            IsOwner().has_object_permission(request_as(AnonymousUser()), VIEW, team.workspace)
            is False
        )


@pytest.mark.django_db
class TestIsOwnerOrReadOnly:
    @pytest.mark.parametrize("method", SAFE)
    @pytest.mark.parametrize("role", [*ROLES, "outsider"])
    def test_anyone_reads(self, team: Any, role: str, method: str) -> None:
        # given a comment by the member
        comment = CommentFactory(task=TaskFactory(project=team.project), author=team.member)

        # then reading is not this class's concern (visibility is the queryset's)
        assert (
            IsOwnerOrReadOnly().has_object_permission(
                request_as(team.user(role), method), VIEW, comment
            )
            is True
        )

    @pytest.mark.parametrize("method", UNSAFE)
    @pytest.mark.parametrize("role", [*ROLES, "outsider"])
    def test_only_the_owner_writes(self, team: Any, role: str, method: str) -> None:
        # given a comment by the member
        comment = CommentFactory(task=TaskFactory(project=team.project), author=team.member)

        # when each role writes to it
        allowed = IsOwnerOrReadOnly().has_object_permission(
            request_as(team.user(role), method), VIEW, comment
        )

        # then only the author passes, not even the workspace's owner
        assert allowed is (role == "member")

    def test_refusal_message(self, team: Any) -> None:
        # given a comment by the member
        comment = CommentFactory(task=TaskFactory(project=team.project), author=team.member)

        # then the owner's PATCH is refused with the class message, their GET allowed
        assert refusal(IsOwnerOrReadOnly(), request_as(team.owner, "PATCH"), comment) == (
            "Only the owner may change this."
        )
        assert refusal(IsOwnerOrReadOnly(), request_as(team.owner, "GET"), comment) is None


@pytest.mark.django_db
class TestIsOwnerOrAdmin:
    @pytest.mark.parametrize(
        ("role", "allowed"),
        [
            ("owner", True),
            ("admin", True),
            ("member", True),
            ("viewer", False),
            ("outsider", False),
        ],
    )
    def test_comment_by_the_member(self, team: Any, role: str, allowed: bool) -> None:
        # given a comment by the member
        comment = CommentFactory(task=TaskFactory(project=team.project), author=team.member)

        # then its author and the workspace's admins and owners pass, nobody else
        request = request_as(team.user(role), "DELETE")
        assert IsOwnerOrAdmin().has_object_permission(request, VIEW, comment) is allowed

    @pytest.mark.parametrize(
        ("role", "allowed"),
        [
            ("owner", True),
            ("admin", True),
            ("member", False),
            ("viewer", True),
            ("outsider", False),
        ],
    )
    def test_task_created_by_the_viewer(self, team: Any, role: str, allowed: bool) -> None:
        # given a task its creator can no longer edit (they were demoted to viewer)
        task = TaskFactory(project=team.project, created_by=team.viewer)

        # then the class still names them owner: the commands enforce the role
        request = request_as(team.user(role), "DELETE")
        assert IsOwnerOrAdmin().has_object_permission(request, VIEW, task) is allowed

    @pytest.mark.parametrize(
        ("role", "allowed"),
        [("owner", True), ("admin", True), ("member", False), ("viewer", False)],
    )
    def test_ownerless_label_is_for_admins_only(self, team: Any, role: str, allowed: bool) -> None:
        # given a label, which has no owner
        label = LabelFactory(workspace=team.workspace)

        # when each role deletes it
        request = request_as(team.user(role), "DELETE")

        # then only the workspace's admins and owners pass
        assert IsOwnerOrAdmin().has_object_permission(request, VIEW, label) is allowed

    @pytest.mark.parametrize(
        ("actor", "target", "allowed"),
        [
            ("member", "member", True),
            ("viewer", "viewer", True),
            ("member", "viewer", False),
            ("viewer", "admin", False),
            ("admin", "viewer", True),
            ("admin", "owner", True),
        ],
    )
    def test_membership_leave_or_remove(
        self, team: Any, actor: str, target: str, allowed: bool
    ) -> None:
        # then a member may act on their own membership, admins on anyone's
        membership = Membership.objects.get(workspace=team.workspace, user=team.user(target))
        request = request_as(team.user(actor), "DELETE")
        assert IsOwnerOrAdmin().has_object_permission(request, VIEW, membership) is allowed

    def test_admin_of_another_workspace_does_not_pass(self, team: Any) -> None:
        # given an admin of a different workspace
        stranger = MembershipFactory(role=Role.ADMIN).user
        comment = CommentFactory(task=TaskFactory(project=team.project), author=team.member)

        # then their role elsewhere does not count
        assert refusal(IsOwnerOrAdmin(), request_as(stranger, "DELETE"), comment) == (
            "Only the owner or a workspace admin may do this."
        )

    def test_platform_staff_is_no_workspace_admin(self, team: Any) -> None:
        # given platform staff and a superuser outside the workspace
        comment = CommentFactory(task=TaskFactory(project=team.project), author=team.member)
        for user in (UserFactory(is_staff=True), UserFactory(is_superuser=True)):
            # then neither passes on the workspace's objects
            request = request_as(user, "DELETE")
            assert IsOwnerOrAdmin().has_object_permission(request, VIEW, comment) is False
