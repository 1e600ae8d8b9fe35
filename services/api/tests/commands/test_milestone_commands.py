"""The milestone commands, called directly: roles, the event and outbox row each appends in its
transaction, and nothing written when a command is refused or fails."""

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from eventstore.models import Event, OutboxMessage
from milestones import commands, events
from milestones.models import Milestone
from tests.factories import MilestoneFactory

pytestmark = pytest.mark.django_db

DUE = datetime.date(2027, 3, 31)


def log() -> list[tuple[Any, ...]]:
    """Every event and its outbox row: (stream, version, type, data, workspace, actor, group)."""
    return [
        (e.stream, e.version, e.type, e.data, e.workspace_id, e.actor_id, o.group)
        for e, o in (
            (o.event, o) for o in OutboxMessage.objects.select_related("event").order_by("id")
        )
    ]


def state() -> tuple[list[Any], int]:
    return (
        list(Milestone.objects.order_by("id").values_list("id", "name", "due_date", "description")),
        Event.objects.count(),
    )


class TestCreate:
    @pytest.mark.parametrize("role", ["owner", "admin", "member"])
    def test_appends_milestone_created_to_the_projects_group(self, team: Any, role: str) -> None:
        # when a member (or more) creates a milestone
        milestone = commands.milestone_create(
            actor=team.user(role), project=team.project, name="Beta", due_date=DUE
        )

        # then the row and one event with its outbox row, bound for the project's subscribers
        assert Milestone.objects.filter(pk=milestone.pk, project=team.project).exists()
        assert log() == [
            (
                f"milestone-{milestone.pk}",
                1,
                "MilestoneCreated",
                {
                    "id": milestone.pk,
                    "project_id": team.project.pk,
                    "name": "Beta",
                    "due_date": "2027-03-31",
                    "description": "",
                },
                team.workspace.pk,
                team.user(role).pk,
                f"project.{team.project.pk}",
            )
        ]

    @pytest.mark.parametrize(
        ("role", "refusal"), [("viewer", PermissionDenied), ("outsider", Http404)]
    )
    def test_viewers_are_refused_and_outsiders_told_nothing(
        self, team: Any, role: str, refusal: type[Exception]
    ) -> None:
        before = state()

        with pytest.raises(refusal):
            commands.milestone_create(
                actor=team.user(role), project=team.project, name="x", due_date=DUE
            )

        assert state() == before

    def test_the_row_and_the_event_commit_or_roll_back_together(
        self, team: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given appending the event fails
        def broken(**kwargs: Any) -> None:
            raise RuntimeError("the event store refused")

        monkeypatch.setattr(events, "record", broken)
        before = state()

        # when a milestone is created
        with pytest.raises(RuntimeError):
            commands.milestone_create(
                actor=team.member, project=team.project, name="x", due_date=DUE
            )

        # then the row went with the event: nothing was written
        assert state() == before
        assert OutboxMessage.objects.count() == 0


class TestUpdate:
    def test_records_only_the_fields_that_changed(self, team: Any) -> None:
        # given a milestone (a plain row: its stream starts with the first command)
        milestone = MilestoneFactory(project=team.project, name="Beta", due_date=DUE)

        # when a member sets its name to the same value and moves its date
        commands.milestone_update(
            actor=team.member, milestone=milestone, name="Beta", due_date=datetime.date(2027, 5, 1)
        )

        # then one MilestoneUpdated with the date only
        milestone.refresh_from_db()
        assert milestone.due_date == datetime.date(2027, 5, 1)
        assert [(entry[2], entry[3]) for entry in log()] == [
            ("MilestoneUpdated", {"due_date": "2027-05-01"})
        ]

    def test_a_change_to_nothing_records_nothing(self, team: Any) -> None:
        milestone = MilestoneFactory(project=team.project, name="Beta")

        commands.milestone_update(actor=team.member, milestone=milestone, name="Beta")

        assert log() == []

    def test_versions_follow_each_other_in_the_stream(self, team: Any) -> None:
        milestone = commands.milestone_create(
            actor=team.member, project=team.project, name="Beta", due_date=DUE
        )
        commands.milestone_update(actor=team.member, milestone=milestone, name="Beta 2")
        stream = f"milestone-{milestone.pk}"
        commands.milestone_delete(actor=team.admin, milestone=milestone)

        assert [(entry[0], entry[1], entry[2]) for entry in log()] == [
            (stream, 1, "MilestoneCreated"),
            (stream, 2, "MilestoneUpdated"),
            (stream, 3, "MilestoneDeleted"),
        ]

    def test_viewers_may_not_edit(self, team: Any) -> None:
        milestone = MilestoneFactory(project=team.project)
        before = state()

        with pytest.raises(PermissionDenied):
            commands.milestone_update(actor=team.viewer, milestone=milestone, name="x")

        assert state() == before


class TestDelete:
    @pytest.mark.parametrize("role", ["owner", "admin"])
    def test_admins_delete_and_the_deletion_is_recorded(self, team: Any, role: str) -> None:
        milestone = MilestoneFactory(project=team.project, name="Beta")

        commands.milestone_delete(actor=team.user(role), milestone=milestone)

        assert not Milestone.objects.exists()
        assert [(entry[2], entry[3], entry[6]) for entry in log()] == [
            ("MilestoneDeleted", {"name": "Beta"}, f"project.{team.project.pk}")
        ]

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_members_and_viewers_may_not_delete(self, team: Any, role: str) -> None:
        MilestoneFactory(project=team.project)
        before = state()

        with pytest.raises(PermissionDenied):
            commands.milestone_delete(actor=team.user(role), milestone=Milestone.objects.get())

        assert state() == before


@pytest.mark.parametrize("write", ["update", "delete"])
def test_a_milestone_deleted_meanwhile_is_a_404_not_an_error(team: Any, write: str) -> None:
    # given a request loaded the milestone, then another deleted it before this write
    loaded = MilestoneFactory(project=team.project)
    Milestone.objects.filter(pk=loaded.pk).delete()
    before = state()

    # when the write runs on what the request loaded, then it is told the milestone is gone
    writes = {
        "update": lambda: commands.milestone_update(actor=team.admin, milestone=loaded, name="x"),
        "delete": lambda: commands.milestone_delete(actor=team.admin, milestone=loaded),
    }
    with pytest.raises(Http404):
        writes[write]()

    # and nothing was written: no row saved back, no event
    assert state() == before


def test_each_command_stays_within_eight_sql_statements(team: Any) -> None:
    """The platform's budget for a command (docs/cqrs.md): at most 8 SQL statements besides
    transaction control (BEGIN, COMMIT, SAVEPOINT, RELEASE), whatever the data."""

    def statements(command: Any) -> int:
        with CaptureQueriesContext(connection) as queries:
            command()
        return sum(
            1
            for query in queries
            if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT"))
        )

    milestone = MilestoneFactory(project=team.project)
    counts = {
        "create": statements(
            lambda: commands.milestone_create(
                actor=team.member, project=team.project, name="x", due_date=DUE
            )
        ),
        "update": statements(
            lambda: commands.milestone_update(actor=team.member, milestone=milestone, name="y")
        ),
        "delete": statements(
            lambda: commands.milestone_delete(actor=team.admin, milestone=milestone)
        ),
    }

    assert all(count <= 8 for count in counts.values()), counts
