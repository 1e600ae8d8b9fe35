"""Lets an erasure (manage.py user_erase) remove personal data from events, and nothing else.

The append-only trigger of 0002 still refuses every UPDATE, except inside a transaction that set
`eventstore.erasing` to 'on', and then only an UPDATE that (1) leaves every column but
ip_address, user_agent and data as it was, (2) empties ip_address and user_agent, and (3) keeps
the same keys in data, each either unchanged or replaced by the string "[erased]". Order,
versions, types, actors, times and the structure of every event survive an erasure; only the
erased values do not. DELETE keeps its one exception (archiving).
"""

from django.db import migrations

ERASABLE = """
CREATE OR REPLACE FUNCTION eventstore_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('eventstore.archiving', true) = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND current_setting('eventstore.erasing', true) = 'on'
        AND NEW.id = OLD.id AND NEW.stream = OLD.stream AND NEW.version = OLD.version
        AND NEW.type = OLD.type AND NEW.schema_version = OLD.schema_version
        AND NEW.workspace_id = OLD.workspace_id
        AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
        AND NEW.request_id = OLD.request_id AND NEW.correlation_id = OLD.correlation_id
        AND NEW.causation_id = OLD.causation_id AND NEW.occurred_at = OLD.occurred_at
        AND NEW.ip_address IS NULL AND NEW.user_agent = ''
        AND jsonb_typeof(NEW.data) = 'object' AND jsonb_typeof(OLD.data) = 'object'
        AND (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(NEW.data) AS k)
            IS NOT DISTINCT FROM (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(OLD.data) AS k)
        AND NOT EXISTS (
            SELECT 1 FROM jsonb_each(NEW.data) AS n JOIN jsonb_each(OLD.data) AS o USING (key)
            WHERE n.value IS DISTINCT FROM o.value AND n.value <> '"[erased]"'::jsonb
        )
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'eventstore_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

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
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("eventstore", "0002_append_only_and_notify")]

    operations = [
        migrations.RunPython(_on_postgresql(ERASABLE), _on_postgresql(APPEND_ONLY)),
    ]
