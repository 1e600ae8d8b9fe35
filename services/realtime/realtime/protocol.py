"""The WebSocket protocol of /ws/v1/: message types, close codes and their encoding.

Client messages are small JSON objects with a `type`; everything the server sends is built here so
that the wire format lives in one module (docs/websocket.md is its reference).
"""

from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

# Close codes. 1000-2999 are the RFC's; 4000-4999 are the application's own.
# The server is restarting (deploy, scale-in): reconnect, ideally to another process, after a
# short random delay.
CLOSE_SERVICE_RESTART = 1012
# The socket fell behind (its client read too slowly, or events were dropped on the way): what
# it holds may be incomplete, so the client refetches from the REST API and reconnects.
CLOSE_RESYNC = 4008
# No valid `auth` message in time, or a first message that was not `auth`: get a fresh access
# token, then reconnect.
CLOSE_UNAUTHENTICATED = 4401

# Client message types.
AUTH = "auth"
SUBSCRIBE = "subscribe"
UNSUBSCRIBE = "unsubscribe"
PING = "ping"

# `error` codes.
ERROR_BAD_REQUEST = "bad_request"
ERROR_FORBIDDEN = "forbidden"
ERROR_TOO_MANY_SUBSCRIPTIONS = "too_many_subscriptions"
ERROR_ALREADY_AUTHENTICATED = "already_authenticated"
# The channel layer (Redis) could not be reached: try again later.
ERROR_UNAVAILABLE = "unavailable"
# Too many subscribe/unsubscribe messages in the window: slow down.
ERROR_RATE_LIMITED = "rate_limited"

# Why the server ended a subscription by itself.
REASON_ACCESS_REVOKED = "access_revoked"
REASON_PROJECT_DELETED = "project_deleted"
REASON_WORKSPACE_DELETED = "workspace_deleted"


class ProtocolError(ValueError):
    """A client message that does not follow the protocol."""


class RateLimit:
    """At most `limit` actions in any `window` seconds (a sliding log; a socket's own)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()

    def allow(self, now: float) -> bool:
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()
        if len(self._times) >= self.limit:
            return False
        self._times.append(now)
        return True


@dataclass(frozen=True)
class ClientMessage:
    type: str
    token: str = ""
    project: int = 0


def parse(text: str | None, max_bytes: int) -> ClientMessage:
    """The client's message, or ProtocolError. Sizes are checked before anything is decoded."""
    if text is None:
        raise ProtocolError("binary frames are not part of the protocol")
    if len(text) > max_bytes:
        raise ProtocolError("message too large")
    try:
        content = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ProtocolError("not JSON") from None
    if not isinstance(content, dict) or not isinstance(content.get("type"), str):
        raise ProtocolError("a message is an object with a `type`")
    kind = content["type"]
    if kind == AUTH:
        token = content.get("token")
        if not isinstance(token, str) or not token:
            raise ProtocolError("`auth` needs a `token`")
        return ClientMessage(AUTH, token=token)
    if kind in (SUBSCRIBE, UNSUBSCRIBE):
        project = content.get("project")
        # bool is an int in Python; `true` is not a project id.
        if not isinstance(project, int) or isinstance(project, bool) or project <= 0:
            raise ProtocolError(f"`{kind}` needs a positive integer `project`")
        return ClientMessage(kind, project=project)
    if kind == PING:
        return ClientMessage(PING)
    raise ProtocolError(f"unknown message type {kind!r}")


def encode(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def authenticated(user_id: int) -> str:
    return encode({"type": "authenticated", "user": user_id})


def subscribed(project: int) -> str:
    return encode({"type": "subscribed", "project": project})


def unsubscribed(project: int, reason: str | None = None) -> str:
    message: dict[str, Any] = {"type": "unsubscribed", "project": project}
    if reason:
        message["reason"] = reason
    return encode(message)


def error(code: str) -> str:
    return encode({"type": "error", "code": code})


PONG = encode({"type": "pong"})


def _commit_timestamp(event: dict[str, Any]) -> float | None:
    try:
        return datetime.fromisoformat(event["occurred_at"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return None


class EventEncoder:
    """Encodes each event once per process, however many sockets it goes to.

    Every socket of a project receives the same event; encoding it (and parsing its commit time
    for the latency metric) once instead of once per socket takes that work off the fan-out
    path. A few hundred recent events are remembered, which covers every event in flight.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._recent: OrderedDict[int, tuple[str, float | None]] = OrderedDict()

    def __call__(self, event: dict[str, Any]) -> tuple[str, float | None]:
        """The `event` message as sent, and the event's commit time (a Unix timestamp)."""
        event_id = event.get("id")
        cached = self._recent.get(event_id) if isinstance(event_id, int) else None
        if cached is not None:
            return cached
        encoded = (encode({"type": "event", "event": event}), _commit_timestamp(event))
        if isinstance(event_id, int):
            self._recent[event_id] = encoded
            if len(self._recent) > self.size:
                self._recent.popitem(last=False)
        return encoded


encode_event = EventEncoder()
