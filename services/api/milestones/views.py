"""HTTP endpoints of milestones: validate, call one command or query, render."""

from typing import Any

from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from caching.fast_path import FastListMixin
from core.requests import AuthenticatedRequest
from core.viewsets import ContractViewSet
from milestones import commands, reads
from milestones.filters import MilestoneFilter
from milestones.models import Milestone
from milestones.queries import milestone_list
from milestones.serializers import MilestoneSerializer, MilestoneUpdateSerializer


class MilestoneViewSet(FastListMixin, ContractViewSet):
    """Workspace members read, create and edit milestones; admins delete them (the commands check
    the role). Outsiders get 404 for a milestone, an empty list for a project's milestones.
    A cached list is answered before DRF's dispatch (`FastListMixin`, reads.py)."""

    list_cache = reads.CACHE
    list_plan = staticmethod(reads.milestone_list_plan)
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ["id", "name", "due_date", "created_at", "updated_at"]
    ordering = ["due_date", "id"]

    def get_queryset(self) -> Any:
        return milestone_list(user=self.request.user)

    def _visible(self, pk: int) -> Milestone:
        """The milestone if the user may see it; the list's filters do not apply to a detail."""
        return get_object_or_404(self.get_queryset(), pk=pk)

    def list(self, request: AuthenticatedRequest) -> HttpResponseBase:
        return reads.milestone_list(request, render=self._render_page)

    def _render_page(self) -> Any:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data).data

    def create(self, request: AuthenticatedRequest) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = commands.milestone_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(milestone).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(self.get_serializer(self._visible(pk)).data)

    @extend_schema(request=MilestoneUpdateSerializer)
    def partial_update(self, request: AuthenticatedRequest, pk: int) -> Response:
        milestone = self._visible(pk)
        serializer = MilestoneUpdateSerializer(milestone, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        milestone = commands.milestone_update(
            actor=request.user, milestone=milestone, **serializer.validated_data
        )
        return Response(self.get_serializer(milestone).data)

    def destroy(self, request: AuthenticatedRequest, pk: int) -> Response:
        commands.milestone_delete(actor=request.user, milestone=self._visible(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
