"""Routes of workspace invitations (included under /api/v1/ by config/urls.py)."""

from django.urls import path

from workspaces.invitation_views import InvitationViewSet, WorkspaceInvitationViewSet

workspace_invitations = WorkspaceInvitationViewSet.as_view({"get": "list"})
workspace_invitation = WorkspaceInvitationViewSet.as_view({"delete": "destroy"})
invitations = InvitationViewSet.as_view({"get": "list"})
invitation_accept = InvitationViewSet.as_view({"post": "accept"})
invitation_decline = InvitationViewSet.as_view({"post": "decline"})

urlpatterns = [
    path(
        "workspaces/<int:workspace_id>/invitations/",
        workspace_invitations,
        name="workspace-invitation-list",
    ),
    path(
        "workspaces/<int:workspace_id>/invitations/<int:invitation_id>/",
        workspace_invitation,
        name="workspace-invitation-detail",
    ),
    path("invitations/", invitations, name="invitation-list"),
    path("invitations/<int:invitation_id>/accept/", invitation_accept, name="invitation-accept"),
    path("invitations/<int:invitation_id>/decline/", invitation_decline, name="invitation-decline"),
]
