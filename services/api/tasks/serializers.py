"""Input validation and output shapes for tasks and comments."""

import re
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.instants import as_utc
from core.serializers import StrictModelSerializer, StrictSerializer
from tasks.models import Comment, Task, TaskPriority, TaskStatus
from workspaces.models import Label, Project
from workspaces.queries import visible_workspace_ids


class PriorityField(serializers.ChoiceField):
    """Priorities travel as names (`high`) and are stored as ranks, so they sort correctly."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[p.label for p in TaskPriority], **kwargs)

    def to_internal_value(self, data: Any) -> int:  # type: ignore[override]
        name = super().to_internal_value(data)
        return next(p.value for p in TaskPriority if p.label == name)

    def to_representation(self, value: Any) -> str:
        return TaskPriority(value).label


class VisibleProjectField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> Any:
        user = self.context["request"].user
        return Project.objects.filter(workspace_id__in=visible_workspace_ids(user))


class VisibleLabelField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> Any:
        user = self.context["request"].user
        return Label.objects.filter(workspace_id__in=visible_workspace_ids(user))


class TaskSerializer(StrictModelSerializer):
    project = VisibleProjectField()
    status = serializers.ChoiceField(choices=TaskStatus.choices, default=TaskStatus.TODO)
    priority = PriorityField(required=False, help_text="Defaults to `medium`.")
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), allow_null=True, required=False
    )
    labels = VisibleLabelField(many=True, required=False)

    class Meta:
        model = Task
        fields = [
            "id",
            "project",
            "workspace",
            "title",
            "description",
            "status",
            "priority",
            "assignee",
            "labels",
            "due_date",
            "version",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "workspace",
            "version",
            "created_by",
            "created_at",
            "updated_at",
        ]


class TaskUpdateSerializer(StrictModelSerializer):
    status = serializers.ChoiceField(choices=TaskStatus.choices, required=False)
    priority = PriorityField(required=False)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), allow_null=True, required=False
    )
    labels = VisibleLabelField(many=True, required=False)

    class Meta:
        model = Task
        fields = ["title", "description", "status", "priority", "assignee", "labels", "due_date"]


class CommentSerializer(StrictModelSerializer):
    author_username = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = Comment
        fields = ["id", "task", "author", "author_username", "body", "created_at", "updated_at"]
        read_only_fields = ["id", "task", "author", "author_username", "created_at", "updated_at"]


class CommentBodySerializer(StrictSerializer):
    body = serializers.CharField(max_length=10000)


class _StateDateTimeField(serializers.DateTimeField):
    """Aggregate state keeps times as ISO strings; render them like the model's datetimes."""

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return super().to_representation(value)


class TaskStateSerializer(serializers.Serializer):
    """A task as it was at an instant (`?as_of=`), rendered like the current task."""

    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    workspace = serializers.IntegerField(source="workspace_id")
    title = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField()
    priority = PriorityField()
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    labels = serializers.ListField(source="label_ids", child=serializers.IntegerField())
    due_date = serializers.DateField(allow_null=True)
    version = serializers.IntegerField()
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = _StateDateTimeField()
    updated_at = _StateDateTimeField()


# An offset whose "+" arrived as a space: a query string decodes an unencoded "+" to " "
# (application/x-www-form-urlencoded), so `?as_of=2026-12-04T10:00:00+01:00` typed as is reaches
# the view as "2026-12-04T10:00:00 01:00". Nothing else can end in a space and two digit pairs.
_PLUS_DECODED_AS_SPACE = re.compile(r"^(?P<instant>\S+T[0-9:.]+) (?P<offset>\d{2}(?::?\d{2})?)$")


class InstantField(serializers.DateTimeField):
    """An ISO-8601 instant from a query string, reading an offset's "+" that URL decoding turned
    into a space as the "+" the user typed."""

    default_error_messages = {
        "invalid": (
            "Expected an ISO-8601 instant such as 2026-12-04T10:00:00Z or "
            "2026-12-04T10:00:00+01:00 (in a URL, %2B encodes the +)."
        ),
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            match = _PLUS_DECODED_AS_SPACE.match(value)
            if match:
                value = f"{match['instant']}+{match['offset']}"
        try:
            return as_utc(super().to_internal_value(value))
        except ValueError:
            self.fail("invalid")


class AsOfSerializer(StrictSerializer):
    as_of = InstantField(help_text="An ISO-8601 instant; the task is shown as it was then.")
