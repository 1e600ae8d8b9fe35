"""Archiving old events to checksummed files and restoring them."""

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from eventstore import relay
from eventstore.models import Event, OutboxMessage
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


def _quiet(*args: Any, **kwargs: Any) -> None:
    call_command(*args, **kwargs, stdout=open("/dev/null", "w"))  # noqa: SIM115


def _history(client: Any, task_id: int) -> list[int]:
    return [
        e["version"]
        for e in client.get(f"/api/v1/tasks/{task_id}/history/?page_size=100").json()["results"]
    ]


def test_archive_then_restore_round_trip(team: Any, tmp_path: Path) -> None:
    # Given: a task with five events, each from its own command, all published
    member = team.client("member")
    task = TaskFactory(project=team.project)
    for n in range(4):
        member.patch(f"/api/v1/tasks/{task.pk}/", {"title": f"v{n + 2}"}, format="json")
    early = Event.objects.get(stream=f"task-{task.pk}", version=2).occurred_at
    relay.drain()
    cutoff = timezone.now()

    # When: everything before the cut-off is archived
    _quiet("archive_events", before=cutoff.isoformat(), to=str(tmp_path))

    # Then: the events left the database into a file the manifest vouches for
    assert not Event.objects.filter(stream=f"task-{task.pk}").exists()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    entry = manifest["files"][0]
    assert len(entry["sha256"]) == 64
    with gzip.open(tmp_path / entry["name"], "rt") as handle:
        archived = [json.loads(line) for line in handle]
    assert len(archived) == entry["events"]
    assert [e["version"] for e in archived if e["stream"] == f"task-{task.pk}"] == [1, 2, 3, 4, 5]

    # And: the task still loads (from its snapshot) and takes new commands
    response = member.patch(f"/api/v1/tasks/{task.pk}/", {"title": "after archive"}, format="json")
    assert response.json()["version"] == 6
    assert _history(member, task.pk) == [6]

    # When: the archive is restored (twice: restoring is idempotent)
    _quiet("restore_events", "--from", str(tmp_path))
    _quiet("restore_events", "--from", str(tmp_path))

    # Then: history and temporal queries answer for the archived part again
    assert _history(member, task.pk) == [1, 2, 3, 4, 5, 6]
    as_of = member.get(f"/api/v1/tasks/{task.pk}/", {"as_of": early.isoformat()})
    assert as_of.status_code == 200
    assert (as_of.json()["version"], as_of.json()["title"]) == (2, "v2")


def test_unpublished_events_stay(team: Any, tmp_path: Path) -> None:
    task = TaskFactory(project=team.project)
    _quiet("archive_events", before=timezone.now().isoformat(), to=str(tmp_path))
    assert Event.objects.filter(stream=f"task-{task.pk}").count() == 1
    assert OutboxMessage.objects.filter(stream=f"task-{task.pk}").exists()


def test_a_tampered_archive_is_refused_and_restores_nothing(team: Any, tmp_path: Path) -> None:
    TaskFactory(project=team.project, version=2)
    relay.drain()
    _quiet("archive_events", before=timezone.now().isoformat(), to=str(tmp_path))
    name = json.loads((tmp_path / "manifest.json").read_text())["files"][0]["name"]
    with gzip.open(tmp_path / name, "rt") as handle:
        lines = handle.readlines()
    with gzip.open(tmp_path / name, "wt") as handle:
        handle.writelines(lines[:-1])
    remaining = Event.objects.count()
    with pytest.raises(CommandError, match="checksum"):
        _quiet("restore_events", "--from", str(tmp_path))
    assert Event.objects.count() == remaining


def test_rebuild_refuses_while_archives_are_out(team: Any, tmp_path: Path) -> None:
    TaskFactory(project=team.project, version=3)
    relay.drain()
    _quiet("archive_events", before=timezone.now().isoformat(), to=str(tmp_path))
    with pytest.raises(CommandError, match="restore the archives"):
        _quiet("rebuild_projections")


def test_bad_cutoff_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="ISO-8601"):
        _quiet("archive_events", before="last tuesday", to=str(tmp_path))
