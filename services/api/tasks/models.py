from django.conf import settings
from django.db import models
from django.utils import timezone

from workspaces.models import Label, Project, Workspace


class TaskStatus(models.TextChoices):
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class TaskPriority(models.IntegerChoices):
    """Stored as a rank so that ordering by priority is an index scan, not a CASE expression."""

    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"
    URGENT = 4, "urgent"


class Task(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    # Denormalised from the project so that workspace-wide lists and visibility checks need no
    # join; commands keep it equal to project.workspace (a task never changes project).
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=20000)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.TODO)
    priority = models.PositiveSmallIntegerField(
        choices=TaskPriority.choices, default=TaskPriority.MEDIUM
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="tasks")
    due_date = models.DateField(null=True, blank=True)
    # The version of the last event applied: the ETag, and the projection's per-stream checkpoint.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Projected from the events' times (not auto_now), so that a rebuild reproduces them.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # One index per common list shape: a project's or workspace's tasks, filtered by status
        # or priority or assignee, newest first; due-date ranges within a project.
        indexes = [
            models.Index(fields=["project", "status", "-id"], name="task_project_status"),
            models.Index(fields=["project", "priority", "-id"], name="task_project_priority"),
            models.Index(fields=["project", "due_date"], name="task_project_due"),
            models.Index(fields=["workspace", "status", "-id"], name="task_ws_status"),
            models.Index(fields=["workspace", "-updated_at"], name="task_ws_updated"),
            models.Index(fields=["assignee", "status", "-id"], name="task_assignee_status"),
        ]

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="comments"
    )
    body = models.TextField(max_length=10000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["task", "id"], name="comment_task_order")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.task_id}"


class TaskViewStats(models.Model):
    """How often and when a task was last viewed, flushed from Redis by `flush_writebehind`
    (caching/writebehind.py, tasks/view_counts.py).

    Not a column of Task: Task is a read model rebuilt from the event log, and views are not
    events. Without a database constraint and with DO_NOTHING, rebuilding or deleting tasks
    leaves the counts alone (task ids are never reused)."""

    task = models.OneToOneField(
        Task,
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
