"""HTTP endpoints of workspace invitations: managers list and revoke the open ones of their
workspace; invitees list theirs and accept or decline them. Validation in, command out."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.requests import AuthenticatedRequest
from core.viewsets import ContractViewSet
from workspaces import commands
from workspaces.access import access_require_role
from workspaces.invitation_serializers import (
    ReceivedInvitationSerializer,
    WorkspaceInvitationSerializer,
)
from workspaces.models import Invitation, Role
from workspaces.queries import invitation_list, invitations_received, workspace_list
from workspaces.serializers import WorkspaceSerializer


class WorkspaceInvitationViewSet(ContractViewSet):
    """/workspaces/{id}/invitations/: for the owners and admins of the workspace."""

    serializer_class = WorkspaceInvitationSerializer
    lookup_url_kwarg = "invitation_id"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL kwargs
            return Invitation.objects.none()
        return invitation_list(workspace_id=self.kwargs["workspace_id"])

    def _manage(self) -> None:
        """404 outside the workspace, 403 below admin: before anything about invitations."""
        workspace = get_object_or_404(
            workspace_list(user=self.request.user), pk=self.kwargs["workspace_id"]
        )
        access_require_role(self.request.user, workspace.pk, Role.ADMIN)

    def list(self, request: AuthenticatedRequest, workspace_id: int) -> Response:
        """The workspace's open invitations, by the user ids typed (never names)."""
        self._manage()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={204: None})
    def destroy(
        self, request: AuthenticatedRequest, workspace_id: int, invitation_id: int
    ) -> Response:
        """Revoke an open invitation."""
        self._manage()
        invitation = get_object_or_404(self.get_queryset(), pk=invitation_id)
        commands.invitation_revoke(actor=request.user, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationViewSet(ContractViewSet):
    """/invitations/: the caller's own open invitations; anyone else's read as nonexistent."""

    serializer_class = ReceivedInvitationSerializer
    lookup_url_kwarg = "invitation_id"

    def get_queryset(self) -> Any:
        return invitations_received(user=self.request.user)

    def list(self, request: AuthenticatedRequest) -> Response:
        """The caller's open invitations: workspace, role, inviter."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=None, responses={201: WorkspaceSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: AuthenticatedRequest, invitation_id: int) -> Response:
        """Join the workspace with the invited role; answers the workspace as the caller now
        sees it."""
        invitation = get_object_or_404(self.get_queryset(), pk=invitation_id)
        membership = commands.invitation_accept(actor=request.user, invitation=invitation)
        workspace = get_object_or_404(workspace_list(user=request.user), pk=membership.workspace_id)
        return Response(WorkspaceSerializer(workspace).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Declined.")})
    @action(detail=True, methods=["post"])
    def decline(self, request: AuthenticatedRequest, invitation_id: int) -> Response:
        """Decline the invitation: it closes, and no membership is made."""
        invitation = get_object_or_404(self.get_queryset(), pk=invitation_id)
        commands.invitation_decline(actor=request.user, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)
