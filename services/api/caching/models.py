"""What the write-behind flusher writes: task view counts, and the batches it has applied."""

from django.db import models


class TaskViewStats(models.Model):
    """How often and when a task was last viewed, flushed from Redis by `flush_writebehind`.

    Not a column of Task: Task is a read model rebuilt from the event log, and views are not
    events. Without a database constraint and with DO_NOTHING, rebuilding or deleting tasks
    leaves the counts alone (task ids are never reused)."""

    task = models.OneToOneField(
        "tasks.Task",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="view_stats",
    )
    view_count = models.PositiveBigIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "task view statistics"
        verbose_name_plural = "task view statistics"

    def __str__(self) -> str:
        return f"task {self.task_id}: {self.view_count} views"


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
