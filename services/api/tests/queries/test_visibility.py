"""The read queries return only what lives in the user's workspaces."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from tasks.models import Comment, Task
from tasks.queries import comment_list, task_list
from tests.factories import (
    CommentFactory,
    LabelFactory,
    MembershipFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
    WorkspaceFactory,
)
from workspaces.models import Label, Project, Role, Workspace
from workspaces.queries import (
    label_list,
    membership_list,
    project_list,
    visible_workspace_ids,
    workspace_list,
)


@dataclass
class World:
    """Alice is in workspaces A (owner) and B (viewer); Bob is only in C."""

    alice: Any
    bob: Any
    a: Workspace
    b: Workspace
    c: Workspace
    projects: dict[str, Project]
    labels: dict[str, Label]
    tasks: dict[str, Task]
    comments: dict[str, Comment]


@pytest.fixture
def world(db: None) -> World:
    alice, bob = UserFactory(), UserFactory()
    a, b, c = WorkspaceFactory(), WorkspaceFactory(), WorkspaceFactory()
    MembershipFactory(workspace=a, user=alice, role=Role.OWNER)
    MembershipFactory(workspace=b, user=alice, role=Role.VIEWER)
    MembershipFactory(workspace=c, user=bob, role=Role.OWNER)
    # someone else in B, so that B's member list is more than Alice
    MembershipFactory(workspace=b, role=Role.OWNER)
    projects = {name: ProjectFactory(workspace=ws) for name, ws in {"a": a, "b": b, "c": c}.items()}
    labels = {name: LabelFactory(workspace=ws) for name, ws in {"a": a, "b": b, "c": c}.items()}
    tasks = {name: TaskFactory(project=project) for name, project in projects.items()}
    comments = {name: CommentFactory(task=task) for name, task in tasks.items()}
    return World(alice, bob, a, b, c, projects, labels, tasks, comments)


def pks(queryset: Any) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


@pytest.mark.django_db
class TestWorkspaces:
    def test_visible_workspace_ids(self, world: World) -> None:
        # then each user's subquery yields exactly their workspaces
        assert {row["workspace_id"] for row in visible_workspace_ids(world.alice)} == {
            world.a.pk,
            world.b.pk,
        }
        assert {row["workspace_id"] for row in visible_workspace_ids(world.bob)} == {world.c.pk}

    def test_workspace_list_is_mine_newest_first_with_my_role(self, world: World) -> None:
        # when listing Alice's workspaces
        rows = [(w.pk, w.my_role) for w in workspace_list(user=world.alice)]

        # then A and B, newest first, each with her role there
        assert rows == [(world.b.pk, "viewer"), (world.a.pk, "owner")]

    def test_workspace_list_for_someone_in_none(self, world: World) -> None:
        # given a user in no workspace, then the list is empty
        assert list(workspace_list(user=UserFactory())) == []

    def test_workspace_list_does_not_repeat_a_shared_workspace(self, world: World) -> None:
        # given B has two members; then Alice still sees it once
        assert [w.pk for w in workspace_list(user=world.alice)].count(world.b.pk) == 1

    def test_membership_list_only_for_a_visible_workspace(self, world: World) -> None:
        # then Alice reads B's members, in the order they joined
        b_members = list(membership_list(user=world.alice, workspace_id=world.b.pk))
        assert [m.workspace_id for m in b_members] == [world.b.pk, world.b.pk]
        assert b_members[0].user_id == world.alice.pk

        # and nothing of C, where she is not a member
        assert list(membership_list(user=world.alice, workspace_id=world.c.pk)) == []


@pytest.mark.django_db
class TestWorkspaceScopedObjects:
    @pytest.mark.parametrize(
        ("query", "kind"),
        [(project_list, "projects"), (label_list, "labels"), (task_list, "tasks")],
    )
    def test_each_user_sees_only_their_workspaces(
        self, world: World, query: Any, kind: str
    ) -> None:
        objects = getattr(world, kind)

        # then Alice sees A's and B's, Bob only C's
        assert pks(query(user=world.alice)) == {objects["a"].pk, objects["b"].pk}
        assert pks(query(user=world.bob)) == {objects["c"].pk}

    def test_comment_list_is_per_task_and_visible_only(self, world: World) -> None:
        # then Alice reads the comments of B's task
        assert pks(comment_list(user=world.alice, task_id=world.tasks["b"].pk)) == {
            world.comments["b"].pk
        }

        # and nothing on C's task, although it has a comment
        assert pks(comment_list(user=world.alice, task_id=world.tasks["c"].pk)) == set()

    def test_leaving_a_workspace_hides_it_at_once(self, world: World) -> None:
        # given Alice leaves B
        world.b.memberships.filter(user=world.alice).delete()

        # then none of B's objects are visible to her any more
        assert pks(project_list(user=world.alice)) == {world.projects["a"].pk}
        assert pks(label_list(user=world.alice)) == {world.labels["a"].pk}
        assert pks(task_list(user=world.alice)) == {world.tasks["a"].pk}
        assert pks(comment_list(user=world.alice, task_id=world.tasks["b"].pk)) == set()
        assert list(membership_list(user=world.alice, workspace_id=world.b.pk)) == []


@pytest.mark.django_db
class TestAnonymous:
    @pytest.mark.parametrize("query", [workspace_list, project_list, label_list, task_list])
    def test_anonymous_sees_nothing(self, world: World, query: Any) -> None:
        # when an anonymous user lists anything, then nothing comes back
        assert list(query(user=AnonymousUser())) == []

    def test_anonymous_reads_no_members_or_comments(self, world: World) -> None:
        # when an anonymous user reads members or comments, then nothing comes back
        assert list(membership_list(user=AnonymousUser(), workspace_id=world.a.pk)) == []
        assert list(comment_list(user=AnonymousUser(), task_id=world.tasks["a"].pk)) == []


@pytest.mark.django_db
def test_list_queries_run_one_statement_whatever_the_number_of_workspaces(
    world: World, django_assert_num_queries: Any
) -> None:
    # given Alice joins ten more workspaces
    for _ in range(10):
        MembershipFactory(user=world.alice, workspace=ProjectFactory().workspace)

    # when the workspace and project lists are evaluated
    # then each is a single query (visibility is a subquery, not a list of ids)
    with django_assert_num_queries(1):
        assert len(list(workspace_list(user=world.alice))) == 12
    with django_assert_num_queries(1):
        assert len(list(project_list(user=world.alice))) == 12
