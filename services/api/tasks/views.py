"""HTTP endpoints for tasks and their comments. Validation in, command or query out."""

from typing import Any

from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from caching.fast_path import FastReadMixin, PlainRequest
from caching.round_trip import EntryPlan, RoundTrip
from caching.stored import StoredResponse
from core.conditional import etag_for_version, expected_version
from core.requests import AuthenticatedRequest
from core.viewsets import ContractViewSet
from eventstore.serializers import EventSerializer
from tasks import commands, reads
from tasks.cached_hits import task_detail_hit, task_list_hit
from tasks.filters import TaskFilter
from tasks.models import Comment, Task
from tasks.queries import comment_list, task_as_of, task_history, task_list, visible_task_row
from tasks.redaction import redact_deleted_comments
from tasks.serializers import (
    AsOfSerializer,
    CommentBodySerializer,
    CommentSerializer,
    TaskSerializer,
    TaskStateSerializer,
    TaskUpdateSerializer,
)
from workspaces.permissions import IsAuthenticated, IsOwnerOrAdmin, IsOwnerOrReadOnly

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The task's ETag; a stale one is answered 412. Without it the last write wins.",
)


# A task id is a PostgreSQL bigint: a larger number in the path names no task, and the ordinary
# path answers it (404); the round trip's plan could not even carry it.
_MAX_ID = 2**63 - 1


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and 0 < value <= _MAX_ID else None


def _with_etag(response: Response, task: Task) -> Response:
    response["ETag"] = etag_for_version(task.version)
    return response


class TaskViewSet(FastReadMixin, ContractViewSet):
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["id", "created_at", "updated_at", "due_date", "priority", "status", "title"]

    def read_plan(self, request: Request) -> EntryPlan | None:
        """The entry a cached read reads in its one Redis round trip (caching/round_trip.py)."""
        if self.action == "list":
            return reads.task_list_plan(request)
        if self.action == "retrieve" and "as_of" not in request.query_params:
            task_id = _int(self.kwargs.get("pk"))
            return reads.task_detail_plan(request, task_id=task_id) if task_id else None
        return None

    def fast_answer(
        self, request: PlainRequest, trip: RoundTrip, stored: StoredResponse
    ) -> HttpResponseBase | None:
        """A hit answered before DRF's dispatch (caching/fast_path.py), for a `read_plan`."""
        if self.action == "list":
            return task_list_hit(stored)
        if self.action == "retrieve":
            return task_detail_hit(request, trip, stored)
        return None

    def get_queryset(self) -> Any:
        return task_list(user=self.request.user)

    def get_permissions(self) -> list[Any]:
        if self.action == "destroy":
            return [IsOwnerOrAdmin()]
        return [IsAuthenticated()]

    def list(self, request: AuthenticatedRequest) -> HttpResponseBase:
        return reads.task_list(request, render=self._render_page)

    def _render_page(self) -> Any:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data).data

    def _visible_task(self, pk: int, *, with_labels: bool = True) -> Task:
        """The task if the user may see it; the list's filters do not apply to a detail.
        A write only checks visibility and validates against the row: no labels prefetched."""
        if with_labels:
            task = get_object_or_404(self.get_queryset(), pk=pk)
        else:
            task = visible_task_row(user=self.request.user, task_id=pk)
        self.check_object_permissions(self.request, task)
        return task

    def create(self, request: AuthenticatedRequest) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = commands.task_create(actor=request.user, **serializer.validated_data)
        response = Response(self.get_serializer(task).data, status=status.HTTP_201_CREATED)
        return _with_etag(response, task)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATETIME,
                description=(
                    "Show the task as it was at this ISO-8601 instant: 404 before it existed, "
                    "410 once it had been deleted."
                ),
            )
        ]
    )
    def retrieve(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        if "as_of" in request.query_params:
            return self._as_of(request, pk)
        return reads.task_detail(
            request, task_id=pk, render=lambda: self.get_serializer(self._visible_task(pk)).data
        )

    def _as_of(self, request: AuthenticatedRequest, pk: int) -> Response:
        params = AsOfSerializer(data={"as_of": request.query_params["as_of"]})
        params.is_valid(raise_exception=True)
        state = task_as_of(user=request.user, task_id=pk, instant=params.validated_data["as_of"])
        response = Response(TaskStateSerializer(state).data)
        response["ETag"] = etag_for_version(state.version)
        return response

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: AuthenticatedRequest, pk: int) -> Response:
        """The task's events, oldest first (deleted tasks keep their history)."""
        page = self.paginate_queryset(task_history(user=request.user, task_id=pk))
        page = redact_deleted_comments(page or [], user=request.user)
        return self.get_paginated_response(EventSerializer(page, many=True).data)

    @property
    def cursor_ordering(self) -> str | None:
        return "version" if self.action == "history" else None

    @extend_schema(request=TaskUpdateSerializer, parameters=[IF_MATCH])
    def partial_update(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        # _visible_task, not get_object(): get_object() runs the list's filter backends too,
        # which cost a write about a tenth of its CPU and never apply to a detail.
        task = self._visible_task(pk, with_labels=False)
        serializer = TaskUpdateSerializer(
            task, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        task = commands.task_update(
            actor=request.user,
            task_id=task.pk,
            expected_version=expected_version(request),
            **serializer.validated_data,
        )
        # Write-through has rendered the task into the cache after the commit: answer from there.
        return reads.task_after_write(
            task_id=task.pk,
            version=task.version,
            render=lambda: self.get_serializer(self._visible_task(pk)).data,
        )

    @extend_schema(parameters=[IF_MATCH])
    def destroy(self, request: AuthenticatedRequest, pk: int) -> Response:
        task = self._visible_task(pk)
        commands.task_delete(
            actor=request.user, task_id=task.pk, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentViewSet(ContractViewSet):
    serializer_class = CommentSerializer
    lookup_url_kwarg = "comment_id"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL kwargs
            return Comment.objects.none()
        return comment_list(user=self.request.user, task_id=self.kwargs["task_id"])

    def get_permissions(self) -> list[Any]:
        if self.action == "destroy":
            return [IsOwnerOrAdmin()]
        return [IsOwnerOrReadOnly()]

    def _task(self) -> Task:
        return visible_task_row(user=self.request.user, task_id=self.kwargs["task_id"])

    def list(self, request: AuthenticatedRequest, task_id: int) -> Response:
        self._task()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=CommentBodySerializer)
    def create(self, request: AuthenticatedRequest, task_id: int) -> Response:
        task = self._task()
        serializer = CommentBodySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = commands.task_comment(actor=request.user, task=task, **serializer.validated_data)
        return Response(self.get_serializer(comment).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: AuthenticatedRequest, task_id: int, comment_id: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=CommentBodySerializer)
    def partial_update(
        self, request: AuthenticatedRequest, task_id: int, comment_id: int
    ) -> Response:
        comment: Comment = self.get_object()
        serializer = CommentBodySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = commands.comment_edit(
            actor=request.user, comment=comment, **serializer.validated_data
        )
        return Response(self.get_serializer(comment).data)

    def destroy(self, request: AuthenticatedRequest, task_id: int, comment_id: int) -> Response:
        commands.comment_delete(actor=request.user, comment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
