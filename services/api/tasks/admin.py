from django.contrib import admin

from tasks.models import Comment, Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "status", "priority", "project", "version", "updated_at")
    list_filter = ("status", "priority")
    search_fields = ("title",)
    raw_id_fields = ("project", "workspace", "assignee", "created_by", "labels")
    readonly_fields = ("version",)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "task", "author", "created_at")
    raw_id_fields = ("task", "author")
