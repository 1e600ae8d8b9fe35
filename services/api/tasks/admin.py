from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tasks.models import Comment, Task, TaskViewStats


class ReadModelAdmin(admin.ModelAdmin):
    """Tasks and comments are projections of the event log: the admin shows them, and changes
    go through the API's commands (an edit here would be overwritten by the next rebuild)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(ReadModelAdmin):
    list_display = ("id", "title", "status", "priority", "project", "version", "updated_at")
    list_filter = ("status", "priority")
    search_fields = ("title",)


@admin.register(Comment)
class CommentAdmin(ReadModelAdmin):
    list_display = ("id", "task", "author", "created_at")


@admin.register(TaskViewStats)
class TaskViewStatsAdmin(admin.ModelAdmin):
    """Read-only: the flusher owns these rows."""

    list_display = ("task_id", "view_count", "last_viewed_at", "updated_at")
    ordering = ("-view_count",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
