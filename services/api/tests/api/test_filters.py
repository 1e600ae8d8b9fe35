"""The task list's filters and ordering, each returning exactly the expected tasks."""

import datetime
from dataclasses import dataclass
from typing import Any

import pytest

from tasks.models import TaskPriority, TaskStatus
from tests.factories import LabelFactory, MembershipFactory, ProjectFactory, TaskFactory
from workspaces.models import Label, Project, Role, Workspace

TASKS = "/api/v1/tasks/"


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


@dataclass
class Board:
    """The tasks the member can see, by letter, and the ids the queries refer to."""

    client: Any
    tasks: dict[str, int]
    refs: dict[str, int]

    def titles(self, query: str) -> list[str]:
        """The letters of the tasks a query returns, in the order returned."""
        response = self.client.get(f"{TASKS}?{query.format(**self.refs)}")
        assert response.status_code == 200, response.content
        by_id = {pk: letter for letter, pk in self.tasks.items()}
        return [
            by_id.get(task["id"], f"foreign:{task['id']}") for task in response.json()["results"]
        ]


def _task(project: Project, title: str, **fields: Any) -> Any:
    return TaskFactory(project=project, title=title, **fields)


@pytest.fixture
def board(team: Any) -> Board:
    """
    Workspace W (the team's): projects p1 and p2, labels bug and feature.
    Workspace V: the member is a viewer there too; project p3.
    Workspace X: the member is not in it; its task matches every filter and must never show.

    | task | project | status      | priority | assignee | labels       | due        | text        |
    |------|---------|-------------|----------|----------|--------------|------------|-------------|
    | a    | p1      | todo        | low      | member   | bug          | 2030-01-10 | desc NEEDLE |
    | b    | p1      | in_progress | high     | admin    | bug, feature | 2030-02-10 | title needle|
    | c    | p2      | done        | urgent   | -        | -            | -          |             |
    | d    | p2      | todo        | medium   | member   | feature      | 2030-03-10 |             |
    | e    | p3 (V)  | todo        | high     | member   | -            | 2030-01-20 | haystack    |
    """
    workspace: Workspace = team.workspace
    p1 = team.project
    p2 = ProjectFactory(workspace=workspace)
    bug: Label = LabelFactory(workspace=workspace, name="bug")
    feature: Label = LabelFactory(workspace=workspace, name="feature")
    other = MembershipFactory(user=team.member, role=Role.VIEWER).workspace
    p3 = ProjectFactory(workspace=other)

    day = datetime.date
    tasks = {
        "a": _task(
            p1,
            "Write the docs",
            description="Find the NEEDLE in it",
            status=TaskStatus.TODO,
            priority=TaskPriority.LOW,
            assignee=team.member,
            labels=[bug],
            due_date=day(2030, 1, 10),
        ),
        "b": _task(
            p1,
            "Fix the needle",
            status=TaskStatus.IN_PROGRESS,
            priority=TaskPriority.HIGH,
            assignee=team.admin,
            labels=[bug, feature],
            due_date=day(2030, 2, 10),
        ),
        "c": _task(p2, "Ship it", status=TaskStatus.DONE, priority=TaskPriority.URGENT),
        "d": _task(
            p2,
            "Plan the release",
            status=TaskStatus.TODO,
            priority=TaskPriority.MEDIUM,
            assignee=team.member,
            labels=[feature],
            due_date=day(2030, 3, 10),
        ),
        "e": _task(
            p3,
            "Sort the haystack",
            status=TaskStatus.TODO,
            priority=TaskPriority.HIGH,
            assignee=team.member,
            due_date=day(2030, 1, 20),
        ),
    }

    # A workspace the member is not in, where the member is nonetheless the assignee-to-be and
    # every task would match the filters above.
    foreign_project = ProjectFactory()
    foreign_label = LabelFactory(workspace=foreign_project.workspace, name="bug")
    MembershipFactory(workspace=foreign_project.workspace, user=team.admin)
    foreign = _task(
        foreign_project,
        "needle everywhere",
        description="needle",
        status=TaskStatus.TODO,
        priority=TaskPriority.HIGH,
        assignee=team.admin,
        labels=[foreign_label],
        due_date=day(2030, 1, 15),
    )

    refs = {
        "p1": p1.pk,
        "p2": p2.pk,
        "p3": p3.pk,
        "w": workspace.pk,
        "v": other.pk,
        "bug": bug.pk,
        "feature": feature.pk,
        "member": team.member.pk,
        "admin": team.admin.pk,
        "owner": team.owner.pk,
        "foreign_project": foreign_project.pk,
        "foreign_workspace": foreign_project.workspace_id,
        "foreign_label": foreign_label.pk,
        "foreign_task": foreign.pk,
    }
    return Board(
        client=team.client("member"),
        tasks={letter: task.pk for letter, task in tasks.items()},
        refs=refs,
    )


@pytest.mark.django_db
class TestFilters:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("", "edcba"),
            ("project={p1}", "ba"),
            ("project={p2}", "dc"),
            ("project={p3}", "e"),
            ("workspace={w}", "dcba"),
            ("workspace={v}", "e"),
            ("status=todo", "eda"),
            ("status=in_progress", "b"),
            ("status=done", "c"),
            ("priority=low", "a"),
            ("priority=medium", "d"),
            ("priority=high", "eb"),
            ("priority=urgent", "c"),
            ("assignee={member}", "eda"),
            ("assignee={admin}", "b"),
            ("assignee={owner}", ""),
            ("label={bug}", "ba"),
            ("label={feature}", "db"),
            ("due_before=2030-01-31", "ea"),
            ("due_after=2030-02-01", "db"),
            ("due_after=2030-01-15&due_before=2030-02-28", "eb"),
            ("search=needle", "ba"),
            ("search=NEEDLE", "ba"),
            ("search=hay", "e"),
            ("search=nothing-matches", ""),
            ("status=todo&project={p1}", "a"),
            ("status=todo&assignee={member}&workspace={w}", "da"),
            ("priority=high&label={bug}", "b"),
            ("label={feature}&search=plan", "d"),
        ],
    )
    def test_filter_returns_exactly_the_matching_tasks(
        self, board: Board, query: str, expected: str
    ) -> None:
        # given the board of the fixture
        # when the member lists tasks with the filter
        titles = board.titles(query)

        # then exactly the expected tasks come back, newest first
        assert titles == list(expected)

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("due_before=2030-01-10", "a"),
            ("due_after=2030-03-10", "d"),
            ("due_after=2030-02-10&due_before=2030-02-10", "b"),
        ],
    )
    def test_due_bounds_are_inclusive(self, board: Board, query: str, expected: str) -> None:
        # when the member filters on a due date that falls exactly on a task's due date
        # then that task is included
        assert board.titles(query) == list(expected)

    @pytest.mark.parametrize(
        "query",
        [
            "project={foreign_project}",
            "workspace={foreign_workspace}",
            "label={foreign_label}",
            "assignee={admin}&workspace={foreign_workspace}",
        ],
    )
    def test_filters_never_reach_into_other_workspaces(self, board: Board, query: str) -> None:
        # when the member filters on another workspace's project, workspace or label
        # then nothing comes back, exactly as for an id that does not exist
        assert board.titles(query) == []

    def test_unfiltered_list_never_shows_the_foreign_task(self, board: Board) -> None:
        # when the member lists everything with the widest search
        titles = board.titles("search=needle&page_size=100")

        # then the foreign task is not among the results
        assert f"foreign:{board.refs['foreign_task']}" not in titles

    def test_a_task_with_two_labels_is_listed_once(self, board: Board) -> None:
        # when filtering on one of the two labels of task b, and on nothing
        # then b appears exactly once either way
        assert board.titles("label={feature}").count("b") == 1
        assert board.titles("").count("b") == 1


@pytest.mark.django_db
class TestOrdering:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("workspace={w}&ordering=-priority", "cbda"),
            ("workspace={w}&ordering=priority", "adbc"),
            ("project={p1}&ordering=due_date", "ab"),
            ("project={p1}&ordering=-due_date", "ba"),
            ("workspace={w}&ordering=title", "bdca"),
            ("workspace={w}&ordering=-title", "acdb"),
            ("ordering=id", "abcde"),
            ("ordering=-id", "edcba"),
            ("workspace={w}&ordering=status,-id", "cbda"),
            ("status=todo&ordering=-priority,id", "eda"),
        ],
    )
    def test_ordering(self, board: Board, query: str, expected: str) -> None:
        # when the member orders the list
        # then the tasks come back in exactly that order (priority by rank, not by name)
        assert board.titles(query) == list(expected)

    def test_unknown_ordering_field_falls_back_to_newest_first(self, board: Board) -> None:
        # when the member orders by a field that is not orderable
        # then the default order applies
        assert board.titles("ordering=description") == list("edcba")


@pytest.mark.django_db
class TestInvalidFilters:
    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("status=bogus", "status"),
            ("status=TODO", "status"),
            ("priority=bogus", "priority"),
            ("priority=3", "priority"),
            ("priority=High", "priority"),
            ("due_before=not-a-date", "due_before"),
            ("due_after=2030-13-45", "due_after"),
            ("project=abc", "project"),
            ("workspace=abc", "workspace"),
            ("assignee=abc", "assignee"),
            ("label=abc", "label"),
            ("search=" + "x" * 201, "search"),
        ],
    )
    def test_invalid_values_are_a_validation_error(
        self, board: Board, query: str, field: str
    ) -> None:
        # when the member filters with a value the filter cannot take
        response = board.client.get(f"{TASKS}?{query}")

        # then 400 in the envelope, naming the parameter
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == [field]
        assert all(isinstance(message, str) for message in error["details"][field])

    @pytest.mark.parametrize("field", ["project", "workspace", "assignee", "label"])
    def test_fractional_ids_are_a_validation_error(self, board: Board, field: str) -> None:
        # given an id the filter would match, with a fractional part
        ref = {"project": "p1", "workspace": "w", "assignee": "member", "label": "bug"}[field]
        value = f"{board.refs[ref]}.9"

        # when the member filters on it
        response = board.client.get(f"{TASKS}?{field}={value}")

        # then it is refused instead of being truncated to the id
        error = assert_error(response, 400, "validation_error")
        assert list(error["details"]) == [field]

    def test_every_invalid_parameter_is_reported_at_once(self, board: Board) -> None:
        # when three filters are invalid together
        response = board.client.get(f"{TASKS}?status=bogus&due_before=not-a-date&priority=bogus")

        # then all three are named
        error = assert_error(response, 400, "validation_error")
        assert set(error["details"]) == {"status", "due_before", "priority"}
