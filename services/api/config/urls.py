"""URL map of the api service. Route patterns double as the `route` label of the metrics."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import SimpleRouter

from accounts import views as account_views
from core.api_root import ApiRootView
from core.health import healthz, readyz
from core.metrics import metrics_view
from milestones.views import MilestoneViewSet
from tasks.views import CommentViewSet, TaskViewSet
from workspaces.views import (
    LabelViewSet,
    MembershipViewSet,
    ProjectViewSet,
    WorkspaceAuditView,
    WorkspaceViewSet,
)

# Django tries patterns in order and records every miss, so the hot reads come first: the
# task list and detail, then the other resources. No two patterns match the same path, so the
# order changes nothing but the time to resolve (and the schema sorts its paths itself).
router = SimpleRouter(use_regex_path=False)
router.register("tasks", TaskViewSet, basename="task")
router.register("workspaces", WorkspaceViewSet, basename="workspace")
router.register("projects", ProjectViewSet, basename="project")
router.register("labels", LabelViewSet, basename="label")
router.register("milestones", MilestoneViewSet, basename="milestone")

members = MembershipViewSet.as_view({"get": "list", "post": "create"})
member = MembershipViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)
comments = CommentViewSet.as_view({"get": "list", "post": "create"})
comment = CommentViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)

auth_patterns = [
    path("register/", account_views.RegisterView.as_view(), name="register"),
    path("token/", account_views.TokenObtainView.as_view(), name="token"),
    path("token/refresh/", account_views.TokenRefreshView.as_view(), name="token-refresh"),
    path("token/verify/", account_views.TokenVerifyView.as_view(), name="token-verify"),
    path("logout/", account_views.LogoutView.as_view(), name="logout"),
    path("logout/all/", account_views.LogoutEverywhereView.as_view(), name="logout-all"),
    path("password/", account_views.PasswordChangeView.as_view(), name="password"),
    path("me/", account_views.MeView.as_view(), name="me"),
]

api_v1_patterns = [
    *router.urls,
    path("", ApiRootView.as_view(), name="api-root"),
    path("auth/", include(auth_patterns)),
    path("workspaces/<int:workspace_id>/members/", members, name="member-list"),
    path("workspaces/<int:workspace_id>/members/<int:user_id>/", member, name="member-detail"),
    path("workspaces/<int:workspace_id>/audit/", WorkspaceAuditView.as_view(), name="audit"),
    path("", include("workspaces.urls")),
    path("tasks/<int:task_id>/comments/", comments, name="comment-list"),
    path("tasks/<int:task_id>/comments/<int:comment_id>/", comment, name="comment-detail"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="api-root"), name="root"),
    path("api/v1/", include(api_v1_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI and ReDoc from drf-spectacular-sidecar's files (/static/), never a CDN; the split
    # view serves Swagger UI's start-up script as a file, so the page needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html"),
        name="redoc",
    ),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("live/", include("liveboard.urls")),
]

handler400 = "core.errors.bad_request_view"
handler403 = "core.errors.permission_denied_view"
handler404 = "core.errors.not_found_view"
handler500 = "core.errors.server_error_view"
