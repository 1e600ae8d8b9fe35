"""Input validation and output shapes for workspaces, members, projects and labels."""

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workspaces.models import Label, Membership, Project, Role, Workspace
from workspaces.queries import visible_workspace_ids


def _text_problem(field: serializers.Field, value: Any) -> str | None:
    """What is wrong with a text field's raw value, before DRF coerces and trims it: DRF turns
    0 or true into "0" or "True" (a client sending a number where the contract says string has a
    bug worth hearing about), and measures the length after trimming whitespace, so the
    contract's maxLength would not hold for the value as sent."""
    if not isinstance(field, serializers.CharField) or value is None:
        return None
    if not isinstance(value, str):
        return "Not a valid string."
    if field.max_length is not None and len(value) > field.max_length:
        return f"Ensure this field has no more than {field.max_length} characters."
    return None


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know instead of ignoring them (mass assignment, typos)."""

    def to_internal_value(self, data: Any) -> Any:
        errors: dict[str, Any] = {}
        if isinstance(data, dict):
            known = set(self.fields)
            errors.update({name: ["Unknown field."] for name in sorted(set(data) - known)})
            errors.update(
                {
                    name: ["This field is read-only."]
                    for name in sorted(set(data) & known)
                    if self.fields[name].read_only
                }
            )
            errors.update(
                {
                    name: [problem]
                    for name in sorted(set(data) & known)
                    if (problem := _text_problem(self.fields[name], data[name]))
                }
            )
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not errors or not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer):
    pass


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
