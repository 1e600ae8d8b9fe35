from django.contrib import admin

from caching.models import TaskViewStats


@admin.register(TaskViewStats)
class TaskViewStatsAdmin(admin.ModelAdmin):
    """Read-only: the flusher owns these rows."""

    list_display = ("task_id", "view_count", "last_viewed_at", "updated_at")
    ordering = ("-view_count",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
