"""The API root (/api/v1/): where a newcomer starts. It lists the resources and links the docs,
the schema, the live board and the WebSocket endpoint, as absolute URLs of this host."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

RESOURCES = {
    "register": "register",
    "token": "token",  # nosec B105 - URL names, not secrets
    "token_refresh": "token-refresh",  # nosec B105
    "me": "me",
    "workspaces": "workspace-list",
    "projects": "project-list",
    "labels": "label-list",
    "tasks": "task-list",
}


def _websocket_url(request: Request) -> str:
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}/ws/v1/"


# A map for people and tools, not a resource: kept out of the OpenAPI schema (and so out of the
# fuzzing and the cross-workspace matrix, which walk the schema's operations).
@extend_schema(exclude=True)
class ApiRootView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        def url(name: str) -> str:
            return request.build_absolute_uri(reverse(name))

        body: dict[str, Any] = {
            "name": "Taskboard API",
            "version": "v1",
            "resources": {key: url(name) for key, name in RESOURCES.items()},
            "nested": {
                "members": url("workspace-list") + "{workspace_id}/members/",
                "audit": url("workspace-list") + "{workspace_id}/audit/",
                "history": url("task-list") + "{task_id}/history/",
                "comments": url("task-list") + "{task_id}/comments/",
            },
            "docs": {"swagger_ui": url("docs"), "redoc": url("redoc"), "schema": url("schema")},
            "live_board": url("live-board"),
            "websocket": _websocket_url(request),
            "authentication": "POST {token} with username and password; send the access token "
            "as 'Authorization: Bearer <access>'".format(token=url("token")),
        }
        return Response(body)
