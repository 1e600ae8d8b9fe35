"""Registration, tokens, logout, password change and the signed-in user's own record."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from accounts import commands
from accounts.serializers import (
    LogoutSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    RegisterSerializer,
    UserCreatedSerializer,
)
from core.requests import AuthenticatedRequest
from core.throttling import StrictRateThrottle
from workspaces.permissions import IsAuthenticated


class RegisterView(APIView):
    permission_classes: list[Any] = []
    authentication_classes: list[Any] = []
    throttle_classes = [StrictRateThrottle]

    @extend_schema(request=RegisterSerializer, responses={201: UserCreatedSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = commands.user_register(**serializer.validated_data)
        return Response(UserCreatedSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(jwt_views.TokenObtainPairView):
    """Login. Shares the strict bucket with registration and password change."""

    throttle_classes = [StrictRateThrottle]


class TokenRefreshView(jwt_views.TokenRefreshView):
    """Rotates: answers a new pair and blacklists the refresh token it was given."""


class TokenVerifyView(jwt_views.TokenVerifyView):
    pass


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=LogoutSerializer, responses={204: None})
    def post(self, request: AuthenticatedRequest) -> Response:
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        commands.user_logout(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutEverywhereView(APIView):
    """Ends every session of the user: every token issued so far is refused, every socket of
    the user is closed (4401). The client signs in again."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: AuthenticatedRequest) -> Response:
        commands.user_logout_everywhere(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [StrictRateThrottle]

    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request: AuthenticatedRequest) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        commands.user_change_password(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(generics.GenericAPIView):
    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> Any:
        user = self.request.user
        commands.profile_get(user=user)  # type: ignore[arg-type]  # IsAuthenticated guards
        return user

    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def patch(self, request: AuthenticatedRequest) -> Response:
        user = self.get_object()
        serializer = self.get_serializer(user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        commands.user_update(user=user, **serializer.validated_data)
        return Response(self.get_serializer(user).data)
