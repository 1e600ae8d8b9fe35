"""Events as the API shows them: in a task's history, and in a workspace's audit trail."""

from typing import Any

from rest_framework import serializers

from eventstore import registry
from eventstore.models import Event


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    # Named like the payload it shows; DRF collects it as a field, not the `data` property.
    data = serializers.SerializerMethodField()  # type: ignore[assignment]

    class Meta:
        model = Event
        fields = ["id", "type", "stream", "version", "data", "actor", "occurred_at", "request_id"]

    def get_data(self, event: Event) -> dict[str, Any]:
        # Old events are shown in their current schema, exactly as the code reads them.
        return registry.upcast(event.type, event.schema_version, event.data)


class AuditEventSerializer(EventSerializer):
    class Meta(EventSerializer.Meta):
        fields = [
            *EventSerializer.Meta.fields,
            "ip_address",
            "user_agent",
            "correlation_id",
            "causation_id",
        ]
