"""What a task command reads before it decides, in one round trip (aggregate.load_for_command):
the same state as the aggregate's own load, the actor's role, and a fresh comment id; and
write-through's one-statement render of the task, labels included."""

from typing import Any

import orjson
import pytest

from caching.stored import StoredResponse
from eventstore.ids import allocate_id
from eventstore.store import NewEvent
from tasks import aggregate, representations
from tasks.aggregate import SNAPSHOT_EVERY
from tasks.events import TASK_DESCRIBED, TASK_LABELLED
from tasks.models import Comment, Task
from tasks.serializers import TaskSerializer
from tests.factories import LabelFactory, TaskFactory, _append_and_project
from workspaces.models import Role

pytestmark = pytest.mark.django_db


def _grow(task: Task, events: int) -> None:
    new = [NewEvent(TASK_DESCRIBED, {"description": f"d{n}"}) for n in range(events)]
    _append_and_project(task.pk, task.project, new)


@pytest.mark.parametrize("version", [1, 7, SNAPSHOT_EVERY - 1])
def test_the_state_is_the_one_load_folds(team: Any, version: int) -> None:
    # Given: a stream without a snapshot, or crossing into one and growing past it
    task = TaskFactory(project=team.project, version=version)
    team.client("member").patch(f"/api/v1/tasks/{task.pk}/", {"title": "moved"}, format="json")
    _grow(task, 3)
    # When: a command loads it
    loaded = aggregate.load_for_command(task.pk, actor=team.member)
    # Then: the state is exactly the aggregate's, at the stream's head
    assert loaded.state == aggregate.load(task.pk)
    assert loaded.state is not None
    assert loaded.state.version == version + 4
    assert loaded.state.title == "moved"
    assert loaded.state.description == "d2"


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer", "outsider"])
def test_the_role_is_the_actors_in_the_tasks_workspace(team: Any, role: str) -> None:
    task = TaskFactory(project=team.project)
    loaded = aggregate.load_for_command(task.pk, actor=team.user(role))
    assert loaded.role == (None if role == "outsider" else Role(role))


def test_no_task_is_no_state_and_no_role(team: Any) -> None:
    loaded = aggregate.load_for_command(2**40, actor=team.member)
    assert loaded.state is None
    assert loaded.role is None


def test_a_comment_id_is_drawn_only_when_asked_and_never_twice(team: Any) -> None:
    task = TaskFactory(project=team.project)
    assert aggregate.load_for_command(task.pk, actor=team.member).drawn_id is None
    before = allocate_id(Comment)
    drawn = [
        aggregate.load_for_command(task.pk, actor=team.member, draw_comment_id=True).drawn_id
        for _ in range(3)
    ]
    assert drawn == sorted(set(drawn))
    assert drawn[0] is not None and drawn[0] > before


def test_the_rendered_task_is_what_the_view_renders_labels_included(team: Any) -> None:
    # Given: a task whose labels changed after it was created
    first, second, third = (LabelFactory(workspace=team.workspace) for _ in range(3))
    task = TaskFactory(project=team.project, labels=[third, first])
    _append_and_project(
        task.pk, task.project, [NewEvent(TASK_LABELLED, {"label_ids": [first.pk, second.pk]})]
    )
    # When: write-through renders it
    stored = StoredResponse.unpack(representations.render_task(task.pk))
    # Then: it is the serializer's rendering over the prefetched labels (which come in no set
    # order; the render's are in id order)
    assert stored is not None
    expected = dict(TaskSerializer(Task.objects.prefetch_related("labels").get(pk=task.pk)).data)
    rendered = orjson.loads(stored.body)
    assert rendered["labels"] == [first.pk, second.pk]
    assert rendered == orjson.loads(orjson.dumps({**expected, "labels": [first.pk, second.pk]}))
    assert stored.meta["version"] == 2


def test_a_deleted_task_renders_nothing(team: Any) -> None:
    assert representations.render_task(2**40) is None
