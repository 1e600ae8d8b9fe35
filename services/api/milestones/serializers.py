"""Input validation and the output shape of milestones."""

from typing import Any

from rest_framework import serializers

from core.serializers import StrictModelSerializer
from milestones.models import Milestone
from milestones.queries import visible_projects


class VisibleProjectField(serializers.PrimaryKeyRelatedField):
    """A project of one of the user's workspaces; any other id reads as nonexistent."""

    def get_queryset(self) -> Any:
        return visible_projects(user=self.context["request"].user)


class MilestoneSerializer(StrictModelSerializer):
    project = VisibleProjectField()

    class Meta:
        model = Milestone
        fields = ["id", "project", "name", "due_date", "description", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class MilestoneUpdateSerializer(StrictModelSerializer):
    """A milestone stays in its project: `project` is not among the fields (an unknown field)."""

    class Meta:
        model = Milestone
        fields = ["name", "due_date", "description"]
