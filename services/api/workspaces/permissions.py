"""The six DRF permission classes. Each wraps the access_* functions; none holds a rule itself.

Roles below admin are enforced by the commands (so no entry point can skip them); these
classes add the object-level ownership rules the views declare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import permissions
from rest_framework.request import Request

from workspaces.access import access_is_owner, access_is_workspace_admin

if TYPE_CHECKING:
    from rest_framework.views import APIView


class IsAuthenticated(permissions.BasePermission):
    """Any signed-in user."""

    message = "Authentication credentials were not provided or are invalid."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated)


class IsAdmin(IsAuthenticated):
    """Platform staff (Django's is_staff), for operator endpoints."""

    message = "This endpoint is for platform staff."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return super().has_permission(request, view) and bool(request.user.is_staff)


class IsSuperUser(IsAuthenticated):
    """Platform superusers."""

    message = "This endpoint is for superusers."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return super().has_permission(request, view) and bool(request.user.is_superuser)


class IsOwner(IsAuthenticated):
    """The object's owner: its author or creator, or a workspace's owners."""

    message = "Only the owner may do this."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return access_is_owner(request.user, obj)


class IsOwnerOrReadOnly(IsAuthenticated):
    """Anyone who can see the object reads it; only its owner changes it."""

    message = "Only the owner may change this."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return access_is_owner(request.user, obj)


class IsOwnerOrAdmin(IsAuthenticated):
    """The object's owner, or an admin (or owner) of the object's workspace."""

    message = "Only the owner or a workspace admin may do this."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return access_is_owner(request.user, obj) or access_is_workspace_admin(request.user, obj)
