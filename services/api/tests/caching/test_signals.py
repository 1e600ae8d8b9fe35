"""Invalidation for changes that bypass the commands (admin edits, bulk tools): the receivers
move the generations once the change commits."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from caching import signals
from tests.conftest import requires_redis
from tests.factories import LabelFactory, ProjectFactory, TaskFactory, WorkspaceFactory
from workspaces import receivers as workspace_receivers
from workspaces.models import Project, Workspace

pytestmark = [pytest.mark.django_db, requires_redis]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """Runs a change in a transaction of its own and its on-commit callbacks, as a commit would.

    The test's own transaction never commits: what the setup changed is flushed first, as the
    commit of the setup's transaction would have, so that the change starts a batch of its own."""

    def run(change: Any) -> None:
        batch = getattr(signals._local, "batch", None)
        if batch is not None:
            batch.flush()
            signals._local.batch = None
        with django_capture_on_commit_callbacks(execute=True):
            change()

    return run


def test_an_admin_edit_of_a_task_is_seen_by_cached_reads(team: Any, committed: Any) -> None:
    task = TaskFactory(project=team.project)
    client = team.client("viewer")
    client.get(f"/api/v1/tasks/{task.pk}/")
    client.get(f"/api/v1/tasks/?project={team.project.pk}")

    def admin_edit() -> None:
        task.title = "Fixed by an admin"  # the version does not move: no event was appended
        task.save()

    committed(admin_edit)

    assert client.get(f"/api/v1/tasks/{task.pk}/").json()["title"] == "Fixed by an admin"
    listed = client.get(f"/api/v1/tasks/?project={team.project.pk}").json()["results"]
    assert listed[0]["title"] == "Fixed by an admin"


def test_labels_changed_from_either_side(team: Any, committed: Any) -> None:
    task = TaskFactory(project=team.project)
    label, other = LabelFactory(workspace=team.workspace), LabelFactory(workspace=team.workspace)
    client = team.client("viewer")
    url = f"/api/v1/tasks/{task.pk}/"
    client.get(url)

    committed(lambda: task.labels.add(label))
    assert client.get(url).json()["labels"] == [label.pk]
    committed(lambda: other.tasks.add(task))
    assert sorted(client.get(url).json()["labels"]) == sorted([label.pk, other.pk])
    committed(lambda: label.tasks.clear())
    assert client.get(url).json()["labels"] == [other.pk]


def test_deleting_a_label_behind_the_api_updates_its_tasks(team: Any, committed: Any) -> None:
    label = LabelFactory(workspace=team.workspace)
    task = TaskFactory(project=team.project, labels=[label])
    client = team.client("viewer")
    assert client.get(f"/api/v1/tasks/{task.pk}/").json()["labels"] == [label.pk]
    label_id = label.pk
    assert client.get(f"/api/v1/tasks/?label={label_id}").json()["count"] == 1

    committed(label.delete)

    assert client.get(f"/api/v1/tasks/{task.pk}/").json()["labels"] == []
    assert client.get(f"/api/v1/tasks/?label={label_id}").json()["count"] == 0


def test_deleting_a_label_through_the_api_updates_its_tasks(team: Any) -> None:
    # the command path: invalidated by the command itself, within the transaction
    label = LabelFactory(workspace=team.workspace)
    task = TaskFactory(project=team.project, labels=[label])
    client = team.client("admin")
    client.get(f"/api/v1/tasks/{task.pk}/")
    assert client.delete(f"/api/v1/labels/{label.pk}/").status_code == 204
    assert client.get(f"/api/v1/tasks/{task.pk}/").json()["labels"] == []


def test_deleting_a_user_empties_their_tasks_assignee(team: Any, committed: Any) -> None:
    task = TaskFactory(project=team.project, assignee=team.member, created_by=team.member)
    client = team.client("viewer")
    assert client.get(f"/api/v1/tasks/{task.pk}/").json()["assignee"] == team.member.pk

    committed(lambda: get_user_model().objects.filter(pk=team.member.pk).delete())

    body = client.get(f"/api/v1/tasks/{task.pk}/").json()
    assert (body["assignee"], body["created_by"]) == (None, None)


def test_a_project_moved_by_an_admin_leaves_one_list_and_joins_another(
    team: Any, committed: Any
) -> None:
    other = WorkspaceFactory()
    from tests.factories import MembershipFactory

    MembershipFactory(workspace=other, user=team.viewer)
    client = team.client("viewer")
    url = "/api/v1/projects/?workspace={}"
    assert client.get(url.format(team.workspace.pk)).json()["count"] == 1
    assert client.get(url.format(other.pk)).json()["count"] == 0
    client.get(f"/api/v1/projects/{team.project.pk}/")

    def move() -> None:
        project = Project.objects.get(pk=team.project.pk)
        project.workspace = other
        project.save()

    committed(move)

    assert client.get(url.format(team.workspace.pk)).json()["count"] == 0
    assert client.get(url.format(other.pk)).json()["count"] == 1
    assert client.get(f"/api/v1/projects/{team.project.pk}/").json()["workspace"] == other.pk


def test_workspace_and_project_rows_edited_or_deleted_behind_the_api(
    team: Any, committed: Any
) -> None:
    client = team.client("viewer")
    extra = ProjectFactory(workspace=team.workspace)
    for url in ("/api/v1/workspaces/", f"/api/v1/workspaces/{team.workspace.pk}/"):
        client.get(url)
    client.get("/api/v1/projects/")

    committed(lambda: Workspace.objects.get(pk=team.workspace.pk).save(update_fields=["name"]))
    workspace = Workspace.objects.get(pk=team.workspace.pk)
    workspace.name = "Edited"
    committed(workspace.save)
    committed(extra.delete)

    assert client.get("/api/v1/workspaces/").json()["results"][0]["name"] == "Edited"
    assert client.get(f"/api/v1/workspaces/{team.workspace.pk}/").json()["name"] == "Edited"
    assert client.get("/api/v1/projects/").json()["count"] == 1


def test_a_bulk_change_moves_each_generation_once_after_the_commit(
    team: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given a bulk tool saving many tasks of one project in one transaction
    tasks = [TaskFactory(project=team.project) for _ in range(20)]
    signals._local.batch = None  # the setup's transaction is over
    moves: list[list[str]] = []
    monkeypatch.setattr(signals.gens, "move_or_remember", moves.append)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for task in tasks:
            task.title = "bulk"
            task.save()

    # then nothing moved during the transaction; one callback moves each generation once
    assert moves == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(moves) == 1
    assert len(moves[0]) == len(set(moves[0])) == 20 + 2


def test_outside_a_transaction_the_receivers_move_at_once(team: Any, monkeypatch: Any) -> None:
    moves: list[list[str]] = []
    monkeypatch.setattr(signals.gens, "move_or_remember", moves.append)
    monkeypatch.setattr(
        signals.transaction, "get_connection", lambda: type("C", (), {"in_atomic_block": False})
    )
    workspace_receivers.workspace_changed(Workspace, team.workspace)
    assert moves == [[f"gen:workspace:{team.workspace.pk}"]]


def test_a_mass_change_moves_the_epoch_instead(
    team: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given more changed rows in one transaction than the batch keeps (a rebuild, an import)
    monkeypatch.setattr(signals, "BATCH_LIMIT", 5)
    tasks = [TaskFactory(project=team.project) for _ in range(5)]
    signals._local.batch = None
    moves: list[list[str]] = []
    monkeypatch.setattr(signals.gens, "move_or_remember", moves.append)

    with django_capture_on_commit_callbacks(execute=True):
        for task in tasks:
            task.save()

    # then the commit moves the epoch once, which invalidates everything
    assert moves == [["gen:epoch"]]
