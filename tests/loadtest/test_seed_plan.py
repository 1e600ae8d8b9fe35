"""The load test's data plan (loadtests/seed_plan.py), which both seed modes write."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "loadtests"))

from seed_plan import LABELS, SeedPlan  # noqa: E402


def test_users_join_the_workspace_of_their_number_modulo_the_workspaces():
    plan = SeedPlan.of_shape(users=7, workspaces=3, projects=2, tasks=5)

    assert plan.users[0] == "lt-user-0000"
    assert [w.name for w in plan.workspaces] == [
        "loadtest-ws-000",
        "loadtest-ws-001",
        "loadtest-ws-002",
    ]
    assert plan.workspaces[0].members == ("lt-user-0000", "lt-user-0003", "lt-user-0006")
    assert plan.workspaces[0].owner == "lt-user-0000"
    assert [plan.workspace_of(i) for i in range(7)] == [0, 1, 2, 0, 1, 2, 0]


def test_every_workspace_has_its_labels_and_projects_of_tasks():
    plan = SeedPlan.of_shape(users=7, workspaces=3, projects=2, tasks=5)

    for workspace in plan.workspaces:
        assert workspace.labels == LABELS
        assert len(workspace.projects) == 2
        assert all(len(project.tasks) == 5 for project in workspace.projects)
    assert plan.workspaces[1].projects[1].name == "loadtest-p-001-01"


def test_tasks_rotate_status_priority_author_assignee_and_label():
    plan = SeedPlan.of_shape(users=7, workspaces=3, projects=2, tasks=5)
    first, second = plan.workspaces[0].projects
    task = first.tasks[0]

    assert task.title == "Task 1 of loadtest-p-000-00"
    assert task.description.startswith("Seeded task 1: lorem ipsum")
    assert (task.status, task.priority, task.author, task.assignee, task.label) == (
        "todo",
        "low",
        "lt-user-0000",
        "lt-user-0003",
        "bug",
    )
    assert [t.status for t in first.tasks] == ["todo", "in_progress", "done", "todo", "in_progress"]
    # the priority's rotation starts one further in each next project
    assert [t.priority for t in second.tasks][:2] == ["medium", "high"]
    assert [t.assignee for t in first.tasks][2] == "lt-user-0000"
    assert [t.label for t in first.tasks] == ["bug", "feature", "chore", "bug", "feature"]


def test_a_workspace_without_members_is_not_planned():
    plan = SeedPlan.of_shape(users=2, workspaces=3, projects=1, tasks=1)

    assert [w.name for w in plan.workspaces] == ["loadtest-ws-000", "loadtest-ws-001"]
