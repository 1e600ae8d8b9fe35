"""Sessions end when access ends: a per-user security epoch that every token carries.

Each token is issued with the user's current epoch in its `epoch` claim (accounts/tokens.py),
and access tokens copy it from the refresh token they come from, through every rotation. Ending
the user's sessions moves the epoch: from then on every token issued before is refused, the
access tokens by the REST API and the sockets at once, the refresh tokens at their next refresh.
A password change, a deactivation, an erasure and an explicit "log out everywhere" end them.

The epoch is read from the cached principal (caching/principals.py), so checking it costs no
extra Redis round trip; moving it moves the principal's generation like any change to the user.
A refresh racing the change cannot outlive it: the pair it answers still carries the old epoch.

Open sockets hear of it through the user's own group on the channel layer (`user.<id>`), which
every socket of the user follows: `session.ended` closes them with 4401, `access.changed` makes
them check their subscriptions again (a membership removed outside the commands, which emit
no MemberRemoved event). That notice is best effort: when Redis is down it is lost, and the
socket is closed at its token's expiry instead (at most JWT_ACCESS_MINUTES).
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import Profile
from caching.write_through import principal_written

logger = logging.getLogger("accounts.sessions")

EPOCH_CLAIM = "epoch"
# The epoch seen from the user model (a user without a profile has epoch 0).
EPOCH_LOOKUP = "profile__session_epoch"
# Attribute of a user instance that holds the epoch read with it (the cached principal sets it).
EPOCH_ATTRIBUTE = "_session_epoch"
# Attribute a command sets on a user it saves after ending the sessions itself, so that the
# receivers (receivers.py) do not end them a second time.
HANDLED_ATTRIBUTE = "_sessions_handled"

SESSION_ENDED = "session.ended"
ACCESS_CHANGED = "access.changed"

REASON_PASSWORD_CHANGED = "password_changed"  # noqa: S105  # nosec B105 - a reason, not a secret
REASON_DEACTIVATED = "deactivated"
REASON_DELETED = "deleted"
REASON_LOGGED_OUT = "logged_out"
REASON_ERASED = "erased"


def user_group(user_id: int) -> str:
    """The channel-layer group every socket of the user follows."""
    return f"user.{user_id}"


def epoch_of(user_id: int) -> int:
    """The user's current epoch, from PostgreSQL (0 for a user who never had one moved)."""
    value = Profile.objects.filter(user_id=user_id).values_list("session_epoch", flat=True).first()
    return int(value or 0)


def current_epoch(user: Any) -> int:
    """The epoch cached with the user when it came from the principal, else from PostgreSQL."""
    cached = getattr(user, EPOCH_ATTRIBUTE, None)
    return int(cached) if cached is not None else epoch_of(user.pk)


def token_epoch(token: Any) -> int | None:
    """The epoch a token was issued under; tokens issued before epochs existed count as 0,
    which the first move of the epoch ends. None for a claim that is not a number."""
    value = token.get(EPOCH_CLAIM, 0)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value


def is_current(token: Any, user: Any) -> bool:
    return token_epoch(token) == current_epoch(user)


@transaction.atomic
def sessions_end(*, user_id: int, reason: str) -> int:
    """Ends every session of the user: moves the epoch, blacklists the outstanding refresh
    tokens, and after the commit invalidates the principal and closes the user's sockets.
    Returns the new epoch."""
    moved = Profile.objects.filter(user_id=user_id).update(session_epoch=F("session_epoch") + 1)
    if not moved:
        Profile.objects.get_or_create(user_id=user_id, defaults={"session_epoch": 1})
    outstanding = OutstandingToken.objects.filter(user_id=user_id, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    # QuerySet.update() sends no signal: the principal (which holds the epoch) is invalidated here.
    principal_written(user_id=user_id)
    transaction.on_commit(lambda: notify(user_id, SESSION_ENDED, reason), robust=True)
    logger.info("sessions of user %s ended (%s)", user_id, reason)
    return epoch_of(user_id)


def notify(user_id: int, kind: str, reason: str = "") -> None:
    """Tells the user's open sockets, wherever they are connected. Never raises: the socket's
    token expiry is the bound when the channel layer cannot be reached."""
    layer = get_channel_layer()
    if layer is None:
        return
    group = user_group(user_id)
    try:
        async_to_sync(layer.group_send)(group, {"type": kind, "group": group, "reason": reason})
    except Exception:
        logger.warning("could not tell the sockets of user %s (%s)", user_id, kind, exc_info=True)
