"""What the write-behind flusher records: the batches it has applied (the counts themselves go
to the registering app's table, tasks.TaskViewStats)."""

from django.db import models


class WriteBehindChunk(models.Model):
    """A chunk of a write-behind batch applied to PostgreSQL, committed with the chunk itself.

    A flusher that dies after a commit but before deleting the batch from Redis finds the batch
    again on its next run; these rows tell it which chunks it must not apply a second time."""

    batch = models.CharField(max_length=32)
    chunk = models.PositiveIntegerField()
    applied_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "chunk"], name="writebehind_chunk_once"),
        ]

    def __str__(self) -> str:
        return f"batch {self.batch} chunk {self.chunk}"
