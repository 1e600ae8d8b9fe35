"""Rebuilding read models from the event log."""

from collections.abc import Callable, Iterator

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model

from eventstore.models import Event, ProjectionCheckpoint, Snapshot
from eventstore.store import upcast

# What a projector returns is ignored (the task projection returns the row it saved).
Projector = Callable[[Event], object]


class IncompleteLog(Exception):
    """Part of the log is archived: a rebuild would lose what it held."""


def _events(after: int, chunk: int = 2000) -> Iterator[Event]:
    position = after
    while True:
        batch = list(Event.objects.filter(id__gt=position).order_by("id")[:chunk])
        if not batch:
            return
        for event in batch:
            yield upcast(event)
        position = batch[-1].id


def check_log_complete() -> None:
    """Every stream must still start at version 1 (archives restored first)."""
    if Snapshot.objects.exists():
        streams_with_start = set(Event.objects.filter(version=1).values_list("stream", flat=True))
        for stream in Snapshot.objects.values_list("stream", flat=True):
            if stream not in streams_with_start:
                raise IncompleteLog(
                    f"{stream} has archived events; restore the archives before rebuilding."
                )


@transaction.atomic
def rebuild(
    *, name: str, clear: Callable[[], None], project: Projector, models: list[type[Model]]
) -> int:
    """Empties the read models, replays every event through `project`, records the checkpoint,
    and resets the id sequences of `models` past the ids the events carried."""
    check_log_complete()
    clear()
    count = 0
    last = 0
    for event in _events(after=0):
        project(event)
        count += 1
        last = event.id
    ProjectionCheckpoint.objects.update_or_create(name=name, defaults={"position": last})
    _reset_sequences(models)
    return count


def _reset_sequences(models: list[type[Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
