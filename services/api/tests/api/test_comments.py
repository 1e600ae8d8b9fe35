"""Comments on a task: list and post, edit by the author, delete by the author or an admin."""

from typing import Any

import pytest

from tasks.models import Comment, Task
from tests.conftest import ROLES
from tests.factories import CommentFactory, MembershipFactory, TaskFactory
from workspaces.models import Membership, Role

MISSING_ID = 2_147_483_647


def comments_url(task_id: int | str) -> str:
    return f"/api/v1/tasks/{task_id}/comments/"


def comment_url(task_id: int | str, comment_id: int | str) -> str:
    return f"/api/v1/tasks/{task_id}/comments/{comment_id}/"


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


def comment_rows() -> list[tuple[Any, ...]]:
    return list(
        Comment.objects.order_by("id").values_list(
            "id", "task_id", "author_id", "body", "updated_at"
        )
    )


@pytest.fixture
def task(team: Any) -> Task:
    return TaskFactory(project=team.project, created_by=team.member)


@pytest.fixture
def comment(team: Any, task: Task) -> Comment:
    """A comment written by the team's member."""
    return CommentFactory(task=task, author=team.member, body="First!")


@pytest.mark.django_db
class TestList:
    @pytest.mark.parametrize("role", ROLES)
    def test_every_member_reads_the_comments_in_order(
        self, team: Any, task: Task, role: str
    ) -> None:
        # given three comments by different people, and a comment on another task
        first = CommentFactory(task=task, author=team.viewer, body="one")
        second = CommentFactory(task=task, author=team.member, body="two")
        third = CommentFactory(task=task, author=team.owner, body="three")
        CommentFactory(task=TaskFactory(project=team.project), author=team.owner)

        # when any member lists the task's comments
        response = team.client(role).get(comments_url(task.pk))

        # then exactly the task's comments come back, oldest first, with their authors
        assert response.status_code == 200
        results = response.json()["results"]
        assert [(c["id"], c["body"], c["author"]) for c in results] == [
            (first.pk, "one", team.viewer.pk),
            (second.pk, "two", team.member.pk),
            (third.pk, "three", team.owner.pk),
        ]
        assert results[0]["author_username"] == team.viewer.username
        assert set(results[0]) == {
            "id",
            "task",
            "author",
            "author_username",
            "body",
            "created_at",
            "updated_at",
        }

    @pytest.mark.parametrize("role", ROLES)
    def test_every_member_retrieves_one(self, team: Any, comment: Comment, role: str) -> None:
        # when any member retrieves one comment
        response = team.client(role).get(comment_url(comment.task_id, comment.pk))

        # then it comes back
        assert response.status_code == 200
        assert (response.json()["id"], response.json()["body"]) == (comment.pk, "First!")

    def test_outsider_gets_404_for_list_and_item(self, team: Any, comment: Comment) -> None:
        client = team.client("outsider")

        # when the outsider reads the comments
        listed = client.get(comments_url(comment.task_id))
        item = client.get(comment_url(comment.task_id, comment.pk))

        # then neither exists for them
        assert_error(listed, 404, "not_found")
        assert_error(item, 404, "not_found")

    def test_missing_task_is_404(self, team: Any) -> None:
        # when a member lists the comments of a task that does not exist
        response = team.client("member").get(comments_url(MISSING_ID))

        # then 404
        assert_error(response, 404, "not_found")

    def test_comment_is_not_reachable_through_another_task(
        self, team: Any, comment: Comment
    ) -> None:
        # given another task of the same workspace
        other = TaskFactory(project=team.project)

        # when a member addresses the comment under the other task
        response = team.client("owner").get(comment_url(other.pk, comment.pk))

        # then there is no such comment there
        assert_error(response, 404, "not_found")


@pytest.mark.django_db
class TestCreate:
    @pytest.mark.parametrize("role", ["owner", "admin", "member"])
    def test_members_and_above_post(self, team: Any, task: Task, role: str) -> None:
        # when a member or above comments on the task
        response = team.client(role).post(
            comments_url(task.pk), {"body": "Looks good"}, format="json"
        )

        # then the comment is stored under their name
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["task"], body["author"], body["author_username"], body["body"]) == (
            task.pk,
            team.user(role).pk,
            team.user(role).username,
            "Looks good",
        )
        stored = Comment.objects.get(pk=body["id"])
        assert (stored.task_id, stored.author_id, stored.body) == (
            task.pk,
            team.user(role).pk,
            "Looks good",
        )

    def test_viewer_may_not_post(self, team: Any, task: Task) -> None:
        before = comment_rows()

        # when a viewer comments
        response = team.client("viewer").post(comments_url(task.pk), {"body": "hi"}, format="json")

        # then 403 and nothing was stored
        assert_error(response, 403, "permission_denied")
        assert comment_rows() == before

    def test_outsider_gets_404(self, team: Any, task: Task) -> None:
        before = comment_rows()

        # when an outsider comments on the task
        response = team.client("outsider").post(
            comments_url(task.pk), {"body": "hi"}, format="json"
        )

        # then the task does not exist for them
        assert_error(response, 404, "not_found")
        assert comment_rows() == before

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({}, "body"),
            ({"body": ""}, "body"),
            ({"body": "x" * 10001}, "body"),
            ({"body": None}, "body"),
            ({"body": "hi", "author": 1}, "author"),
            ({"body": "hi", "task": 1}, "task"),
        ],
        ids=["missing", "blank", "too-long", "null", "author", "task"],
    )
    def test_bad_bodies_are_rejected(
        self, team: Any, task: Task, payload: dict[str, Any], field: str
    ) -> None:
        before = comment_rows()

        # when a member posts a comment that is empty, too long, or sets who or where
        response = team.client("member").post(comments_url(task.pk), payload, format="json")

        # then that field is at fault and nothing was stored
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == [field]
        assert comment_rows() == before


@pytest.mark.django_db
class TestEdit:
    def test_author_edits_their_comment(self, team: Any, comment: Comment) -> None:
        # when the author edits their comment
        response = team.client("member").patch(
            comment_url(comment.task_id, comment.pk), {"body": "Edited"}, format="json"
        )

        # then the new text is stored and returned
        assert response.status_code == 200, response.content
        assert response.json()["body"] == "Edited"
        comment.refresh_from_db()
        assert comment.body == "Edited"

    @pytest.mark.parametrize("role", ["owner", "admin", "viewer", "second_member"])
    def test_nobody_else_edits_it(
        self, team: Any, comment: Comment, role: str, make_client: Any
    ) -> None:
        # given a second member besides the author
        second_member = MembershipFactory(workspace=team.workspace, role=Role.MEMBER).user
        client = make_client(second_member) if role == "second_member" else team.client(role)
        before = comment_rows()

        # when anyone but the author edits the comment, owners and admins included
        response = client.patch(
            comment_url(comment.task_id, comment.pk), {"body": "Rewritten"}, format="json"
        )

        # then 403 and the comment is unchanged
        assert_error(response, 403, "permission_denied")
        assert comment_rows() == before

    def test_outsider_gets_404(self, team: Any, comment: Comment) -> None:
        before = comment_rows()

        # when the outsider edits the comment
        response = team.client("outsider").patch(
            comment_url(comment.task_id, comment.pk), {"body": "x"}, format="json"
        )

        # then it does not exist for them
        assert_error(response, 404, "not_found")
        assert comment_rows() == before

    def test_author_demoted_to_viewer_may_no_longer_edit(self, team: Any, comment: Comment) -> None:
        # given the author was demoted to viewer
        Membership.objects.filter(workspace=team.workspace, user=team.member).update(
            role=Role.VIEWER
        )
        before = comment_rows()

        # when they edit their comment
        response = team.client("member").patch(
            comment_url(comment.task_id, comment.pk), {"body": "x"}, format="json"
        )

        # then 403: viewers do not write
        assert_error(response, 403, "permission_denied")
        assert comment_rows() == before

    @pytest.mark.parametrize(
        ("payload", "field"),
        [({}, "body"), ({"body": ""}, "body"), ({"body": "x", "task": 1}, "task")],
        ids=["missing", "blank", "unknown-field"],
    )
    def test_bad_edits_are_rejected(
        self, team: Any, comment: Comment, payload: dict[str, Any], field: str
    ) -> None:
        before = comment_rows()

        # when the author sends an edit without a body or with extra fields
        response = team.client("member").patch(
            comment_url(comment.task_id, comment.pk), payload, format="json"
        )

        # then that field is at fault and the comment is unchanged
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == [field]
        assert comment_rows() == before


@pytest.mark.django_db
class TestDelete:
    @pytest.mark.parametrize("role", ["member", "admin", "owner"])
    def test_author_and_admins_delete(self, team: Any, comment: Comment, role: str) -> None:
        # when the author, an admin or an owner deletes the member's comment
        response = team.client(role).delete(comment_url(comment.task_id, comment.pk))

        # then it is gone
        assert response.status_code == 204, response.content
        assert not Comment.objects.filter(pk=comment.pk).exists()

    @pytest.mark.parametrize("role", ["viewer", "second_member"])
    def test_others_may_not_delete(
        self, team: Any, comment: Comment, role: str, make_client: Any
    ) -> None:
        # given a second member besides the author
        second_member = MembershipFactory(workspace=team.workspace, role=Role.MEMBER).user
        client = make_client(second_member) if role == "second_member" else team.client(role)
        before = comment_rows()

        # when a viewer or another member deletes the comment
        response = client.delete(comment_url(comment.task_id, comment.pk))

        # then 403 and it is still there
        assert_error(response, 403, "permission_denied")
        assert comment_rows() == before

    def test_author_demoted_to_viewer_may_no_longer_delete(
        self, team: Any, comment: Comment
    ) -> None:
        # given the author was demoted to viewer
        Membership.objects.filter(workspace=team.workspace, user=team.member).update(
            role=Role.VIEWER
        )
        before = comment_rows()

        # when they delete their comment
        response = team.client("member").delete(comment_url(comment.task_id, comment.pk))

        # then 403, as for editing: viewers do not write
        assert_error(response, 403, "permission_denied")
        assert comment_rows() == before

    def test_admin_deletes_an_owners_comment(self, team: Any, task: Task) -> None:
        # given a comment by the owner
        owners = CommentFactory(task=task, author=team.owner)

        # when an admin deletes it
        response = team.client("admin").delete(comment_url(task.pk, owners.pk))

        # then it is gone
        assert response.status_code == 204
        assert not Comment.objects.filter(pk=owners.pk).exists()

    def test_outsider_gets_404(self, team: Any, comment: Comment) -> None:
        before = comment_rows()

        # when the outsider deletes the comment
        response = team.client("outsider").delete(comment_url(comment.task_id, comment.pk))

        # then it does not exist for them and survives
        assert_error(response, 404, "not_found")
        assert comment_rows() == before

    def test_admin_of_another_workspace_gets_404(
        self, team: Any, comment: Comment, make_client: Any
    ) -> None:
        # given someone who administers a different workspace
        stranger = MembershipFactory(role=Role.ADMIN).user
        before = comment_rows()

        # when they delete the comment by its ids
        response = make_client(stranger).delete(comment_url(comment.task_id, comment.pk))

        # then their admin role elsewhere counts for nothing here
        assert_error(response, 404, "not_found")
        assert comment_rows() == before

    @pytest.mark.parametrize("comment_id", ["abc", str(MISSING_ID), "9" * 25])
    def test_invalid_comment_ids_are_404(self, team: Any, task: Task, comment_id: str) -> None:
        # when the owner deletes a comment id that is malformed or unknown
        response = team.client("owner").delete(comment_url(task.pk, comment_id))

        # then 404
        assert_error(response, 404, "not_found")
