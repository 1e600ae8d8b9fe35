"""First-message authentication: the access token of the REST API, validated the same way.

The token arrives in the socket's first message, never in the URL, so it shows up in no access
log, proxy log or browser history; it is never logged here either.
"""

import logging
from typing import Any

from channels.db import database_sync_to_async
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.authentication import CachedUserJWTAuthentication

logger = logging.getLogger("realtime.auth")

# The REST API's authentication class: the user comes from the cached principal when it can
# (caching/principals.py), so a reconnect storm does not become a storm of user queries.
_authentication = CachedUserJWTAuthentication()


def user_for_token(raw_token: str) -> Any | None:
    """The active user the access token belongs to, or None for any invalid or expired token."""
    try:
        validated = _authentication.get_validated_token(raw_token.encode())
        user = _authentication.get_user(validated)
    except (InvalidToken, TokenError, AuthenticationFailed) as exc:
        logger.info("websocket authentication refused: %s", exc.__class__.__name__)
        return None
    if not user.is_active:
        return None
    return user


# Off the single thread-sensitive executor: a thousand reconnecting clients authenticate in
# parallel, each on a pooled connection.
authenticate = database_sync_to_async(user_for_token, thread_sensitive=False)
