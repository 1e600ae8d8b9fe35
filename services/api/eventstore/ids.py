"""Ids for objects that an event creates, drawn before the event is written so the event can
carry them; a rebuild then reproduces the same ids."""

from django.db import connection, models


def allocate_id(model: type[models.Model]) -> int:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
        else:
            # The embedded SQLite default has one writer at a time; max + 1 is enough there.
            # The table name comes from the model's own metadata, never from input.
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {quoted}")  # noqa: S608  # nosec B608
        row = cursor.fetchone()
        return int(row[0])
