"""The baselines: a plain DRF ListAPIView over the same task rows (what a user would otherwise
write), and the framework's floor (a plain Django view answering the same bytes).

DRF's defaults except where the comparison needs the same request and page: JWT authentication
(the benchmark's token), IsAuthenticated, and page-number pagination of 20 (DRF paginates nothing
by default, which would answer all the project's tasks). A ModelSerializer with the platform's
fields, no select_related/prefetch_related, no caching, DRF's own JSONRenderer, no throttles.
The floor, `/api/v1/bench-floor/`: a function view that returns the cached list's bytes read once
from BENCH_FLOOR_FILE, behind the platform's middleware (request id, request log line and
metrics, the envelope, security headers), with no authentication, throttle or Redis: what any
request costs in Gunicorn and Django before the platform does anything of its own.
Every other URL is the platform's (config.urls), so /readyz and the rest answer as usual.
"""

import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework import generics, pagination, permissions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework_simplejwt.authentication import JWTAuthentication

from config.urls import urlpatterns as platform_urlpatterns
from tasks.models import Task
from tasks.serializers import TaskSerializer as PlatformTaskSerializer


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = PlatformTaskSerializer.Meta.fields


class Pagination(pagination.PageNumberPagination):
    page_size = 20


class TaskList(generics.ListAPIView):
    serializer_class = TaskSerializer
    authentication_classes = [JWTAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    renderer_classes = [JSONRenderer]
    pagination_class = Pagination
    throttle_classes = []

    def get_queryset(self):
        tasks = Task.objects.filter(workspace__memberships__user=self.request.user).order_by("-id")
        project = self.request.query_params.get("project")
        return tasks.filter(project_id=project) if project else tasks


_FLOOR_FILE = os.environ.get("BENCH_FLOOR_FILE")
_FLOOR_BODY = Path(_FLOOR_FILE).read_bytes() if _FLOOR_FILE else b"{}"


def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_FLOOR_BODY, content_type="application/json")


urlpatterns = [
    path("api/v1/tasks/", TaskList.as_view()),
    path("api/v1/bench-floor/", floor),
    *platform_urlpatterns,
]
