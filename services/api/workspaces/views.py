"""HTTP endpoints for workspaces, members, projects and labels. Validation in, command out."""

from typing import Any

from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.decorators import action
from rest_framework.response import Response

from caching.fast_path import FastListMixin, PlainRequest
from caching.round_trip import EntryPlan, RoundTrip
from caching.stored import StoredResponse
from core.requests import AuthenticatedRequest
from core.viewsets import ContractViewSet
from eventstore.filters import AuditFilter
from eventstore.models import Event
from eventstore.serializers import AuditEventSerializer
from workspaces import commands, reads
from workspaces.access import access_require_role
from workspaces.cached_hits import project_detail_hit, workspace_detail_hit
from workspaces.filters import LabelFilter, ProjectFilter
from workspaces.invitation_serializers import InvitationSentSerializer, MemberAddSerializer
from workspaces.models import Membership, Role
from workspaces.permissions import IsAuthenticated, IsOwner, IsOwnerOrAdmin
from workspaces.queries import (
    label_list,
    membership_list,
    project_list,
    workspace_audit,
    workspace_list,
)
from workspaces.serializers import (
    LabelSerializer,
    LabelUpdateSerializer,
    MembershipRoleSerializer,
    MembershipSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
    TransferSerializer,
    WorkspaceSerializer,
)
from workspaces.throttles import MemberAddThrottle


class WorkspaceViewSet(FastListMixin, ContractViewSet):
    serializer_class = WorkspaceSerializer
    # The list: one Redis round trip, a hit answered before DRF's dispatch (caching/fast_path.py).
    list_cache = "workspace_list"
    list_plan = staticmethod(reads.workspace_list_plan)

    def read_plan(self, request: Any) -> EntryPlan | None:
        # A detail is read in the round trip too, a hit answered with the reader's role put in.
        if self.action == "retrieve":
            return reads.workspace_detail_plan(self.kwargs["pk"])
        return super().read_plan(request)

    def fast_answer(
        self, request: PlainRequest, trip: RoundTrip, stored: StoredResponse
    ) -> HttpResponseBase | None:
        if self.action == "retrieve":
            return workspace_detail_hit(request, stored, self.kwargs["pk"])
        return super().fast_answer(request, trip, stored)

    def get_queryset(self) -> Any:
        return workspace_list(user=self.request.user)

    def get_permissions(self) -> list[Any]:
        if self.action == "destroy":
            return [IsOwner()]
        return [IsAuthenticated()]

    def list(self, request: AuthenticatedRequest) -> HttpResponseBase:
        return reads.workspace_list(request, render=self._render_page)

    def _render_page(self) -> Any:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data).data

    def create(self, request: AuthenticatedRequest) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        workspace = commands.workspace_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(workspace).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        return reads.workspace_detail(
            request, workspace_id=pk, render=lambda: self.get_serializer(self.get_object()).data
        )

    def partial_update(self, request: AuthenticatedRequest, pk: int) -> Response:
        workspace = self.get_object()
        serializer = self.get_serializer(workspace, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        commands.workspace_update(
            actor=request.user, workspace=workspace, **serializer.validated_data
        )
        return Response(self.get_serializer(self.get_object()).data)

    def destroy(self, request: AuthenticatedRequest, pk: int) -> Response:
        commands.workspace_delete(actor=request.user, workspace=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=TransferSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request: AuthenticatedRequest, pk: int) -> Response:
        """Make another member the owner; the caller stays on as an admin."""
        workspace = self.get_object()
        serializer = TransferSerializer(
            data=request.data,
            context={**self.get_serializer_context(), "workspace_id": workspace.pk},
        )
        serializer.is_valid(raise_exception=True)
        membership = commands.workspace_transfer(
            actor=request.user, workspace=workspace, new_owner=serializer.validated_data["user"]
        )
        return Response(MembershipSerializer(membership).data)


class MembershipViewSet(ContractViewSet):
    serializer_class = MembershipSerializer
    lookup_field = "user_id"
    lookup_url_kwarg = "user_id"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL kwargs
            return Membership.objects.none()
        return membership_list(user=self.request.user, workspace_id=self.kwargs["workspace_id"])

    def get_permissions(self) -> list[Any]:
        if self.action == "destroy":
            return [IsOwnerOrAdmin()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list[Any]:
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(MemberAddThrottle())
        return throttles

    def _workspace(self) -> Any:
        return get_object_or_404(
            workspace_list(user=self.request.user), pk=self.kwargs["workspace_id"]
        )

    def list(self, request: AuthenticatedRequest, workspace_id: int) -> Response:
        self._workspace()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=MemberAddSerializer,
        responses={201: MembershipSerializer, 202: InvitationSentSerializer},
        description="Adds a user who already shares a workspace with the caller (201, the "
        "membership); any other id gets an invitation that only its account can accept (202, "
        "the same answer whether or not an account has the id).",
    )
    def create(self, request: AuthenticatedRequest, workspace_id: int) -> Response:
        workspace = self._workspace()
        # The role before the body: whoever may not add members gets the same 403 for every user
        # id, and cannot tell the ids of real accounts from unused ones.
        access_require_role(request.user, workspace.pk, Role.ADMIN)
        serializer = MemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        added = commands.member_add_or_invite(
            actor=request.user,
            workspace=workspace,
            user_id=serializer.validated_data["user"],
            role=serializer.validated_data["role"],
        )
        if isinstance(added, Membership):
            return Response(self.get_serializer(added).data, status=status.HTTP_201_CREATED)
        return Response(InvitationSentSerializer(added).data, status=status.HTTP_202_ACCEPTED)

    def retrieve(self, request: AuthenticatedRequest, workspace_id: int, user_id: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=MembershipRoleSerializer)
    def partial_update(
        self, request: AuthenticatedRequest, workspace_id: int, user_id: int
    ) -> Response:
        membership: Membership = self.get_object()
        serializer = MembershipRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = commands.member_change_role(
            actor=request.user, membership=membership, role=serializer.validated_data["role"]
        )
        return Response(self.get_serializer(membership).data)

    def destroy(self, request: AuthenticatedRequest, workspace_id: int, user_id: int) -> Response:
        commands.member_remove(actor=request.user, membership=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class _WorkspaceScopedViewSet(ContractViewSet):
    """Projects and labels: read by members, written by admins (the commands check the role)."""

    update_serializer_class: Any
    create_command: Any
    update_command: Any
    delete_command: Any
    entity: str

    def list(self, request: AuthenticatedRequest) -> HttpResponseBase:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: AuthenticatedRequest) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = self.create_command(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        return Response(self.get_serializer(self.get_object()).data)

    def partial_update(self, request: AuthenticatedRequest, pk: int) -> Response:
        instance = self.get_object()
        serializer = self.update_serializer_class(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = self.update_command(
            actor=request.user, **{self.entity: instance}, **serializer.validated_data
        )
        return Response(self.get_serializer(updated).data)

    def destroy(self, request: AuthenticatedRequest, pk: int) -> Response:
        self.delete_command(actor=request.user, **{self.entity: self.get_object()})
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectViewSet(FastListMixin, _WorkspaceScopedViewSet):
    serializer_class = ProjectSerializer
    # The list: one Redis round trip, a hit answered before DRF's dispatch (caching/fast_path.py).
    list_cache = "project_list"
    list_plan = staticmethod(reads.project_list_plan)

    def read_plan(self, request: Any) -> EntryPlan | None:
        # A detail is read in the round trip too, a hit answered when the reader may see it.
        if self.action == "retrieve":
            return reads.project_detail_plan(self.kwargs["pk"])
        return super().read_plan(request)

    def fast_answer(
        self, request: PlainRequest, trip: RoundTrip, stored: StoredResponse
    ) -> HttpResponseBase | None:
        if self.action == "retrieve":
            return project_detail_hit(request, stored)
        return super().fast_answer(request, trip, stored)

    update_serializer_class = ProjectUpdateSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["id", "name", "created_at", "updated_at"]
    create_command = staticmethod(commands.project_create)
    update_command = staticmethod(commands.project_update)
    delete_command = staticmethod(commands.project_delete)
    entity = "project"

    def get_queryset(self) -> Any:
        return project_list(user=self.request.user)

    def list(self, request: AuthenticatedRequest) -> HttpResponseBase:
        return reads.project_list(request, render=self._render_page)

    def _render_page(self) -> Any:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data).data

    def retrieve(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        return reads.project_detail(request, project_id=pk, render=lambda: self._visible(pk))

    def _visible(self, pk: int) -> Any:
        """The project if the user may see it; the list's filters do not apply to a detail."""
        project = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(self.request, project)
        return self.get_serializer(project).data


class LabelViewSet(_WorkspaceScopedViewSet):
    serializer_class = LabelSerializer
    update_serializer_class = LabelUpdateSerializer
    filterset_class = LabelFilter
    ordering_fields = ["id", "name", "created_at"]
    create_command = staticmethod(commands.label_create)
    update_command = staticmethod(commands.label_update)
    delete_command = staticmethod(commands.label_delete)
    entity = "label"

    def get_queryset(self) -> Any:
        return label_list(user=self.request.user)


class WorkspaceAuditView(generics.ListAPIView):
    """Every change in the workspace, newest first, with who, from where and which request.
    Owners and admins only; filter by `actor`, `type` (comma-separated), `stream`, `since`,
    `until` (ISO-8601)."""

    serializer_class = AuditEventSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL kwargs
            return Event.objects.none()
        return workspace_audit(user=self.request.user, workspace_id=self.kwargs["workspace_id"])
