"""The audit trail of a workspace."""

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics

from eventstore.filters import AuditFilter
from eventstore.models import Event
from eventstore.queries import workspace_audit
from eventstore.serializers import AuditEventSerializer


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
