"""Input and output shapes of member additions by id and of workspace invitations.

What an inviter is shown of an invitation is what they typed (the user id) and what they chose
(the role), never a name: the answer must be the same whether or not an account has the id."""

from typing import Any

from rest_framework import serializers

from core.serializers import StrictSerializer
from workspaces.models import Invitation, Role

# The largest id the database's integer column holds: a larger one is a validation error
# (400 on `user`), never a database error.
MAX_ID = 2_147_483_647


class MemberAddSerializer(StrictSerializer):
    """`{user, role}`: a plain id, checked against no table (a lookup would tell real ids from
    unused ones)."""

    user = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class InvitationSentSerializer(serializers.ModelSerializer):
    """The 202 answer to a member add that became an invitation: the same fields whatever the id."""

    status = serializers.SerializerMethodField()
    user = serializers.IntegerField(source="invitee_id", read_only=True)

    class Meta:
        model = Invitation
        fields = ["status", "id", "user", "role", "invited_at", "expires_at"]
        read_only_fields = fields

    def get_status(self, invitation: Invitation) -> str:
        return "invited"


class WorkspaceInvitationSerializer(serializers.ModelSerializer):
    """An open invitation as the workspace's managers see it."""

    user = serializers.IntegerField(source="invitee_id", read_only=True)
    invited_by = serializers.IntegerField(source="invited_by_id", allow_null=True, read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "user", "role", "invited_by", "invited_at", "expires_at"]
        read_only_fields = fields


class InvitingWorkspaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReceivedInvitationSerializer(serializers.ModelSerializer):
    """An open invitation as its invitee sees it: which workspace, which role, from whom."""

    workspace = InvitingWorkspaceSerializer()
    invited_by = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ["id", "workspace", "role", "invited_by", "invited_at", "expires_at"]
        read_only_fields = fields

    def get_invited_by(self, invitation: Invitation) -> str | None:
        inviter: Any = invitation.invited_by
        return inviter.username if inviter is not None else None
