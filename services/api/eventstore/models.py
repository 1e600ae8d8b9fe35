"""The append-only event store, aggregate snapshots, the transactional outbox, and checkpoints.

The store is the ORM on PostgreSQL rather than a library such as `eventsourcing`: the events,
the read models and the outbox must commit in one database transaction, and the ORM already owns
that transaction (docs/cqrs.md explains the choice).
"""

from django.db import models


class Event(models.Model):
    """One fact, never changed. `id` is the global position; `(stream, version)` is unique."""

    id = models.BigAutoField(primary_key=True)
    stream = models.CharField(max_length=64)  # "<type>-<id>", e.g. "task-42"
    version = models.PositiveIntegerField()
    type = models.CharField(max_length=64)
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField()
    workspace_id = models.BigIntegerField(db_index=True)
    actor_id = models.BigIntegerField(null=True)
    ip_address = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    correlation_id = models.CharField(max_length=128, blank=True)
    causation_id = models.CharField(max_length=128, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream", "version"], name="event_stream_version"),
        ]
        indexes = [
            models.Index(fields=["workspace_id", "-id"], name="event_workspace_recent"),
            models.Index(fields=["stream", "occurred_at"], name="event_stream_time"),
        ]

    def __str__(self) -> str:
        return f"{self.stream}@{self.version} {self.type}"


class Snapshot(models.Model):
    """The folded state of a stream at a version, so loading needs only the events after it."""

    stream = models.CharField(max_length=64, unique=True)
    version = models.PositiveIntegerField()
    state = models.JSONField()
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"snapshot {self.stream}@{self.version}"


class OutboxMessage(models.Model):
    """An event waiting to be published to the channel layer; written with the event itself."""

    id = models.BigAutoField(primary_key=True)
    event = models.OneToOneField(Event, on_delete=models.PROTECT, related_name="outbox")
    stream = models.CharField(max_length=64)
    group = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"],
                name="outbox_pending",
                condition=models.Q(published_at__isnull=True),
            ),
            models.Index(
                fields=["stream", "id"],
                name="outbox_pending_stream",
                condition=models.Q(published_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"outbox {self.id} -> {self.group}"


class ProjectionCheckpoint(models.Model):
    """The last event a full projection run has applied."""

    name = models.CharField(max_length=64, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"
