"""Makes the event table append-only at the database, and wakes relays on new outbox rows.

UPDATE on an event always fails. DELETE fails too, unless the transaction has set
`eventstore.archiving` to 'on', which only the archive command does (after copying the events to
verified files). Production should also keep TRUNCATE from the application's database role.
On SQLite (the embedded development default) neither trigger exists.
"""

from django.db import migrations

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION eventstore_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('eventstore.archiving', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'eventstore_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER eventstore_event_append_only
    BEFORE UPDATE OR DELETE ON eventstore_event
    FOR EACH ROW EXECUTE FUNCTION eventstore_refuse_change();
"""

DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS eventstore_event_append_only ON eventstore_event;
DROP FUNCTION IF EXISTS eventstore_refuse_change();
"""

NOTIFY = """
CREATE OR REPLACE FUNCTION eventstore_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('eventstore_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER eventstore_outbox_notify
    AFTER INSERT ON eventstore_outboxmessage
    FOR EACH STATEMENT EXECUTE FUNCTION eventstore_outbox_notify();
"""

DROP_NOTIFY = """
DROP TRIGGER IF EXISTS eventstore_outbox_notify ON eventstore_outboxmessage;
DROP FUNCTION IF EXISTS eventstore_outbox_notify();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("eventstore", "0001_initial")]

    operations = [
        migrations.RunPython(_on_postgresql(APPEND_ONLY), _on_postgresql(DROP_APPEND_ONLY)),
        migrations.RunPython(_on_postgresql(NOTIFY), _on_postgresql(DROP_NOTIFY)),
    ]
