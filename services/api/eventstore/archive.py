"""Moving old events out of the database into verified files, and back.

An archive run writes the events older than a cut-off to a gzip-compressed JSON Lines file,
records it in the folder's manifest.json with its SHA-256 and event count, reads the file back
to verify both, and only then deletes the events (the one DELETE the append-only trigger
allows, inside the archiving transaction). Streams with an aggregate get a snapshot first, so
they still load. Restoring re-inserts the events with their original ids; it is idempotent.
"""

import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from eventstore.models import Event, OutboxMessage

MANIFEST = "manifest.json"

# Stream prefix -> a function that snapshots that stream at its current version.
_snapshotters: dict[str, Callable[[str], None]] = {}


def register_snapshotter(prefix: str, snapshot: Callable[[str], None]) -> None:
    _snapshotters[prefix] = snapshot


class ArchiveError(Exception):
    pass


@dataclass(frozen=True)
class ArchiveResult:
    file: Path | None
    events: int


# Every column of the event, derived from the model so a field added later is archived too
# (an archive must be able to restore the event store exactly).
_FIELDS = [field.attname for field in Event._meta.concrete_fields]


def _row(event: dict[str, Any]) -> str:
    event = dict(event)
    event["occurred_at"] = event["occurred_at"].isoformat()
    return json.dumps(event, sort_keys=True, separators=(",", ":"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if path.exists():
        return json.loads(path.read_text())
    return {"format": "taskboard-events-jsonl-gz/1", "files": []}


def _count_lines(path: Path) -> int:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return sum(1 for _ in handle)


@transaction.atomic
def archive_before(cutoff: datetime, folder: Path) -> ArchiveResult:
    # Only events whose outbox row was published may leave: the relay still needs the others.
    candidates = Event.objects.filter(occurred_at__lt=cutoff).exclude(
        outbox__published_at__isnull=True, outbox__isnull=False
    )
    events = list(candidates.order_by("id").values(*_FIELDS))
    if not events:
        return ArchiveResult(None, 0)
    for stream in sorted({e["stream"] for e in events}):
        for prefix, snapshot in _snapshotters.items():
            if stream.startswith(prefix):
                snapshot(stream)

    folder.mkdir(parents=True, exist_ok=True)
    name = f"events-{events[0]['id']:012d}-{events[-1]['id']:012d}.jsonl.gz"
    path = folder / name
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for event in events:
            handle.write(_row(event) + "\n")
    checksum = _sha256(path)
    if _count_lines(path) != len(events):
        raise ArchiveError(f"{path} does not read back {len(events)} events")

    manifest = _load_manifest(folder)
    manifest["files"].append(
        {
            "name": name,
            "sha256": checksum,
            "events": len(events),
            "first_id": events[0]["id"],
            "last_id": events[-1]["id"],
            "cutoff": cutoff.isoformat(),
            "archived_at": timezone.now().isoformat(),
        }
    )
    ids = [e["id"] for e in events]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL eventstore.archiving = 'on'")
    OutboxMessage.objects.filter(event_id__in=ids).delete()
    deleted, _ = Event.objects.filter(id__in=ids).delete()
    if deleted != len(ids):
        raise ArchiveError(f"expected to delete {len(ids)} events, deleted {deleted}")
    # The manifest is written last: a failure before this point rolls the deletion back and
    # leaves at most an orphan file, never a missing event.
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return ArchiveResult(path, len(events))


@transaction.atomic
def restore_from(folder: Path) -> int:
    manifest = _load_manifest(folder)
    restored = 0
    for entry in manifest["files"]:
        path = folder / entry["name"]
        if _sha256(path) != entry["sha256"]:
            raise ArchiveError(f"{path} does not match its checksum in the manifest")
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle]
        if len(rows) != entry["events"]:
            raise ArchiveError(
                f"{path} holds {len(rows)} events, the manifest says {entry['events']}"
            )
        for row in rows:
            row["occurred_at"] = parse_datetime(row["occurred_at"])
        before = Event.objects.count()
        Event.objects.bulk_create([Event(**row) for row in rows], ignore_conflicts=True)
        restored += Event.objects.count() - before
    return restored
