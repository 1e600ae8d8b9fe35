"""Rebuilding read models from the event log."""

from collections.abc import Callable, Iterator

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
    """Moves each id sequence past the highest id in its table, never backwards: an id drawn
    before the rebuild for an object since deleted must not be drawn again (its events remain).
    SQLite needs nothing: its AUTOINCREMENT counters follow explicit ids and never go down."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            # The table name comes from the model's own metadata, never from input.
            cursor.execute(
                "SELECT setval(seq, GREATEST(COALESCE(pg_sequence_last_value(seq), 0), "  # noqa: S608  # nosec B608
                f"(SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}), 1)) "
                "FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) AS serial",
                [table],
            )
