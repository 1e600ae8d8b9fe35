"""Socket authentication: the access token of the REST API, validated the same way (session
epoch included, accounts/tokens.py).

The token arrives in the socket's first message, never in the URL, so it shows up in no access
log, proxy log or browser history; it is never logged here either. A client sends a fresh one
the same way before the current one expires; the consumer closes the socket at its expiry.
"""

import logging
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.tokens import SessionJWTAuthentication

logger = logging.getLogger("realtime.auth")

# The REST API's authentication class: the user comes from the cached principal when it can
# (caching/principals.py), so a reconnect storm does not become a storm of user queries.
_authentication = SessionJWTAuthentication()


@dataclass(frozen=True)
class Session:
    """Who the socket speaks for, until when (the access token's `exp`, a Unix timestamp)."""

    user: Any
    expires_at: float


def user_for_token(raw_token: str) -> Session | None:
    """The active user the access token belongs to and the token's expiry, or None for any
    invalid, expired or revoked token (one issued before the user's sessions were ended)."""
    try:
        validated = _authentication.get_validated_token(raw_token.encode())
        user = _authentication.get_user(validated)
    except (InvalidToken, TokenError, AuthenticationFailed) as exc:
        logger.info("websocket authentication refused: %s", exc.__class__.__name__)
        return None
    if not user.is_active:
        return None
    return Session(user=user, expires_at=float(validated["exp"]))


# Off the single thread-sensitive executor: a thousand reconnecting clients authenticate in
# parallel, each on a pooled connection.
authenticate = database_sync_to_async(user_for_token, thread_sensitive=False)
