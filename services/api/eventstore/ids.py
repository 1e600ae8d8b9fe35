"""Ids for objects that an event creates, drawn before the event is written so the event can
carry them; a rebuild then reproduces the same ids.

An id is never drawn twice, even after the row that had it is deleted: the deleted object's
events stay in the store under that id, and a new object given it would append to (and collide
with) the old object's stream.
"""

from django.db import connection, models
from django.db.backends.utils import CursorWrapper


def allocate_id(model: type[models.Model]) -> int:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
            row = cursor.fetchone()
            return int(row[0])
        return _sqlite_next_id(cursor, table)


def _sqlite_next_id(cursor: CursorWrapper, table: str) -> int:
    """nextval() for SQLite. Django declares its primary keys AUTOINCREMENT, so SQLite keeps the
    highest id the table ever held in sqlite_sequence, and deleting rows never lowers it.
    Advancing that counter inside the caller's transaction reserves the id as a sequence would:
    the UPDATE comes first, so the write lock is held before the counter is read and two
    connections never draw the same id. MAX(id) covers rows inserted with explicit ids before
    the table's counter row existed."""
    # The table name comes from the model's own metadata, never from input.
    quoted = connection.ops.quote_name(table)
    highest = f"(SELECT COALESCE(MAX(id), 0) FROM {quoted})"  # noqa: S608  # nosec B608
    cursor.execute(
        f"UPDATE sqlite_sequence SET seq = MAX(seq, {highest}) + 1 WHERE name = %s",  # noqa: S608  # nosec B608
        [table],
    )
    if cursor.rowcount == 0:
        cursor.execute(
            f"INSERT INTO sqlite_sequence (name, seq) SELECT %s, {highest} + 1",
            [table],
        )
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    row = cursor.fetchone()
    return int(row[0])
