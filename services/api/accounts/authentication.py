"""JWT authentication that finds the user in the cache (caching/principals.py) instead of
PostgreSQL: simplejwt's own checks, without a query per request.

simplejwt offers a stateless alternative (TokenUser from the claims), but it is not a User: the
commands record the actor as a foreign key, and a deactivated account would keep working until
its token expired. This keeps a real User, seen deactivated or deleted at the next request.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from caching import principals, store


class CachedUserJWTAuthentication(JWTAuthentication):
    # simplejwt annotates get_user with an unbound TypeVar; a real user is what this returns.
    def get_user(self, validated_token: Token) -> AbstractBaseUser:  # type: ignore[override]
        if not self._cacheable():
            return super().get_user(validated_token)
        try:
            user_id = int(validated_token[api_settings.USER_ID_CLAIM])
        except KeyError as error:
            raise InvalidToken("Token contained no recognizable user identification") from error
        except (TypeError, ValueError):
            return super().get_user(validated_token)  # not an integer id: let simplejwt decide
        try:
            user = principals.cached_user(user_id)
        except principals.UserNotFound as error:
            raise AuthenticationFailed("User not found", code="user_not_found") from error
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        return user

    @staticmethod
    def _cacheable() -> bool:
        # Revocation by password hash needs the hash, which is never cached.
        return (
            settings.CACHE_ENABLED
            and store.uses_redis()
            and api_settings.USER_ID_FIELD == "id"
            and not api_settings.CHECK_REVOKE_TOKEN
        )


class CachedUserJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme: the same bearer JWT as simplejwt's (drf-spectacular finds
    extensions by subclassing; defining the class registers it)."""

    target_class = "accounts.authentication.CachedUserJWTAuthentication"
