from django.contrib import admin

from milestones.models import Milestone


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    """Edits here bypass the commands (no event); receivers.py still invalidates the cache."""

    list_display = ("id", "name", "due_date", "project")
    list_select_related = ("project",)
    search_fields = ("name",)
    raw_id_fields = ("project",)
