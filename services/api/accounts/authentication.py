"""JWT authentication that finds the user in the cache (caching/principals.py) instead of
PostgreSQL: simplejwt's own checks, without a query per request.

simplejwt offers a stateless alternative (TokenUser from the claims), but it is not a User: the
commands record the actor as a foreign key, and a deactivated account would keep working until
its token expired. This keeps a real User, seen deactivated or deleted at the next request.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow

from accounts import principals
from caching import store
from core.throttling import ROUND_TRIP_ATTRIBUTE

# Access tokens whose signature and claims this process has verified, by their encoded form.
# Checking an HMAC signature is cheap, but PyJWT's decoding around it (key preparation, base64
# and JSON of three segments, claim checks) was about a tenth of a cached read's CPU; a token is
# sent with every request of its 5-minute life. A remembered token is only the same bytes
# verified before: its expiry is checked again on every use, and access tokens carry no other
# state to re-check (simplejwt keeps no blacklist of access tokens). Bounded; emptied when full.
_VERIFIED_LIMIT = 4096
_verified: dict[bytes, Token] = {}
_verified_lock = threading.Lock()


class CachedUserJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Token:
        token = _verified.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
            except TokenError:
                _verified.pop(raw_token, None)
            else:
                return token
        token = super().get_validated_token(raw_token)
        with _verified_lock:
            if len(_verified) >= _VERIFIED_LIMIT:
                _verified.clear()
            _verified[raw_token] = token
        return token

    def token_for_round_trip(self, request: Any) -> tuple[Token, int] | None:
        """The request's validated token and its user id, for a cached read that reads the
        principal in its one round trip (caching/views.py); None when there is no usable token
        or the principal cannot come from the cache (the ordinary path then answers, errors
        included)."""
        if not self._cacheable():
            return None
        header = self.get_header(request)
        raw = self.get_raw_token(header) if header is not None else None
        if raw is None:
            return None
        try:
            token = self.get_validated_token(raw)
            user_id = int(token[api_settings.USER_ID_CLAIM])
        except (InvalidToken, KeyError, TypeError, ValueError):
            return None
        return token, user_id

    def authenticate(self, request: Any) -> tuple[AbstractBaseUser, Token] | None:  # type: ignore[override]
        round_trip = getattr(request, ROUND_TRIP_ATTRIBUTE, None)
        if round_trip is None:
            return super().authenticate(request)
        # The token was validated before the round trip, which read the principal with it.
        user = principals.user_from_prefetched(round_trip.principal)
        if user is None:
            user = self.get_user(round_trip.token)
        else:
            self._check_active(user)
        return user, round_trip.token

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
        self._check_active(user)
        return user

    @staticmethod
    def _check_active(user: AbstractBaseUser) -> None:
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")

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
