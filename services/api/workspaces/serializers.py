"""Input validation and output shapes for workspaces, members, projects and labels."""

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import StrictModelSerializer, StrictSerializer
from workspaces.models import Label, Membership, Project, Role, Workspace
from workspaces.queries import visible_workspace_ids


class VisibleWorkspaceField(serializers.PrimaryKeyRelatedField):
    """A workspace id the requesting user belongs to; any other id reads as nonexistent."""

    def get_queryset(self) -> Any:
        request = self.context["request"]
        return Workspace.objects.filter(pk__in=visible_workspace_ids(request.user))


class WorkspaceSerializer(StrictModelSerializer):
    role = serializers.CharField(source="my_role", read_only=True, default=Role.OWNER)

    class Meta:
        model = Workspace
        fields = ["id", "name", "description", "role", "created_at", "updated_at"]
        read_only_fields = ["id", "role", "created_at", "updated_at"]


class MembershipSerializer(StrictModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)

    class Meta:
        model = Membership
        fields = ["user", "username", "role", "created_at", "updated_at"]
        read_only_fields = ["username", "created_at", "updated_at"]


class MembershipRoleSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices)


@extend_schema_field(OpenApiTypes.INT)
class WorkspaceMemberField(serializers.PrimaryKeyRelatedField):
    """A user id among the members of the workspace in the context. Any other id, of an account
    or of nobody, gets the same message: the answer must not tell real ids from unused ones."""

    default_error_messages = {"does_not_exist": "The new owner must already be a member."}

    def get_queryset(self) -> Any:
        workspace_id = self.context["workspace_id"]
        return get_user_model().objects.filter(memberships__workspace_id=workspace_id)


class TransferSerializer(StrictSerializer):
    user = WorkspaceMemberField()


class ProjectSerializer(StrictModelSerializer):
    workspace = VisibleWorkspaceField()

    class Meta:
        model = Project
        fields = ["id", "workspace", "name", "description", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class ProjectUpdateSerializer(StrictModelSerializer):
    class Meta:
        model = Project
        fields = ["name", "description"]


class LabelSerializer(StrictModelSerializer):
    workspace = VisibleWorkspaceField()
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)

    class Meta:
        model = Label
        fields = ["id", "workspace", "name", "color", "created_at"]
        read_only_fields = ["id", "created_at"]
        # label_create reports a duplicate name on `name`, as label_update does.
        validators: list[object] = []


class LabelUpdateSerializer(StrictModelSerializer):
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)

    class Meta:
        model = Label
        fields = ["name", "color"]
