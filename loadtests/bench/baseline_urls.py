"""The baseline a user would otherwise write: a plain DRF ListAPIView over the same task rows.

DRF's defaults except where the comparison needs the same request and page: JWT authentication
(the benchmark's token), IsAuthenticated, and page-number pagination of 20 (DRF paginates nothing
by default, which would answer all the project's tasks). A ModelSerializer with the platform's
fields, no select_related/prefetch_related, no caching, DRF's own JSONRenderer, no throttles.
Every other URL is the platform's (config.urls), so /readyz and the rest answer as usual.
"""

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


urlpatterns = [path("api/v1/tasks/", TaskList.as_view()), *platform_urlpatterns]
