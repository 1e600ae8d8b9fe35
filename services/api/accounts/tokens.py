"""simplejwt with the session epoch (accounts/sessions.py): tokens are issued with it, refreshed
only while it is current, and accepted by the REST API and the sockets only while it is.

Subclasses of simplejwt's own classes, named by the settings (SIMPLE_JWT's serializers, DRF's
authentication class), so everything simplejwt checks is still checked.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from drf_spectacular.contrib.rest_framework_simplejwt import (
    SimpleJWTScheme,
    TokenObtainPairSerializerExtension,
    TokenRefreshSerializerExtension,
)
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token

from accounts import sessions
from accounts.authentication import CachedUserJWTAuthentication

REVOKED = "Token was issued before the account's sessions were ended"


class SessionRefreshToken(RefreshToken):
    """A refresh token with the user's current epoch; its access tokens copy the claim."""

    @classmethod
    def for_user(cls, user: Any) -> Any:
        token = super().for_user(user)
        token[sessions.EPOCH_CLAIM] = sessions.epoch_of(user.pk)
        return token


class SessionTokenObtainPairSerializer(TokenObtainPairSerializer):
    token_class = SessionRefreshToken


class SessionTokenRefreshSerializer(TokenRefreshSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])
        claim: Any = refresh.payload.get(api_settings.USER_ID_CLAIM)
        try:
            user_id = int(claim)
        except (TypeError, ValueError) as error:
            raise InvalidToken("Token contained no recognizable user identification") from error
        # simplejwt's own check looks the user up with .get(): a deleted user was a 500.
        if not get_user_model()._default_manager.filter(pk=user_id).exists():
            raise InvalidToken("User not found")
        if sessions.token_epoch(refresh) != sessions.epoch_of(user_id):
            raise InvalidToken(REVOKED)
        return super().validate(attrs)


class _UsersWithTheirEpoch:
    """Stands for the user model in simplejwt's own get_user, which reads
    `self.user_model.objects.get(...)`: its `objects` annotate each user with the session epoch,
    so where no principal is cached (the embedded defaults, Redis down) the user and the epoch
    still come in one query, and every check simplejwt makes on the user is still made."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.DoesNotExist = model.DoesNotExist

    @property
    def objects(self) -> Any:
        epoch = F(sessions.EPOCH_LOOKUP)
        return self.model._default_manager.annotate(**{sessions.EPOCH_ATTRIBUTE: epoch})


class SessionJWTAuthentication(CachedUserJWTAuthentication):
    """Refuses a token whose epoch is not the user's current one (401, `authentication_failed`).
    The epoch comes with the cached principal (no extra round trip), or, without one, with the
    user's own row (no extra query)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Duck-typed for the two attributes simplejwt reads (objects, DoesNotExist).
        self.user_model = _UsersWithTheirEpoch(get_user_model())  # type: ignore[assignment]

    # As in CachedUserJWTAuthentication: simplejwt annotates with an unbound TypeVar.
    def get_user(self, validated_token: Token) -> AbstractBaseUser:  # type: ignore[override]
        user = super().get_user(validated_token)
        self._check_epoch(validated_token, user)
        return user

    def authenticate(self, request: Any) -> tuple[AbstractBaseUser, Token] | None:  # type: ignore[override]
        # A cached read's round trip hands over the principal without calling get_user: the
        # epoch is checked here too (the round trip already refused to count a stale token).
        authenticated = super().authenticate(request)
        if authenticated is not None:
            self._check_epoch(authenticated[1], authenticated[0])
        return authenticated

    @staticmethod
    def _check_epoch(token: Token, user: AbstractBaseUser) -> None:
        if not sessions.is_current(token, user):
            raise AuthenticationFailed(REVOKED, code="token_revoked")


class SessionJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme: the same bearer JWT (defining the class registers it)."""

    target_class = "accounts.tokens.SessionJWTAuthentication"


class SessionTokenObtainPairSchema(TokenObtainPairSerializerExtension):
    target_class = "accounts.tokens.SessionTokenObtainPairSerializer"


class SessionTokenRefreshSchema(TokenRefreshSerializerExtension):
    target_class = "accounts.tokens.SessionTokenRefreshSerializer"
