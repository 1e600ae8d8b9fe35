"""The /ws/v1/ consumer: authenticate, subscribe to projects, relay their events in order.

One consumer per socket. Events reach it through the process's hub (realtime.hub), which
receives them from the channel layer: the outbox relay publishes every committed event to
`project.<id>` (task events) or `workspace.<id>` (membership, project and workspace events). The
consumer follows a project's group for each subscription and the workspace's group while it has
any project of that workspace, so that a member who is removed, or a project or workspace that is
deleted, ends the subscription at once.
"""

import asyncio
import logging
import time
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts.sessions import ACCESS_CHANGED, SESSION_ENDED, user_group
from realtime import protocol
from realtime.access import can_read_project, workspace_of
from realtime.auth import Session, authenticate
from realtime.hub import hub
from realtime.metrics import CLOSES, CONNECTIONS_ACTIVE, DELIVERY_LATENCY, SENT
from realtime.shutdown import registry
from tasks.events import project_group, project_of_group
from workspaces.events import (
    MEMBER_REMOVED,
    PROJECT_DELETED,
    WORKSPACE_DELETED,
    project_of_stream,
    workspace_group,
    workspace_of_group,
)

logger = logging.getLogger("realtime.consumer")

NEXT, DUPLICATE, GAP = "next", "duplicate", "gap"
SENT_EVENT = SENT["event"]


class LiveConsumer(AsyncWebsocketConsumer):
    # No layer channel per socket: the hub receives for every socket of the process. (Channels
    # gives a consumer a channel only when its alias names a configured layer.)
    channel_layer_alias = "realtime-sockets-have-no-channel"
    user: Any = None
    closing = False
    counted = False
    # Closes the socket with 4401: AUTH_TIMEOUT after connecting, then at the token's expiry
    # unless a fresh token arrived before.
    auth_deadline: asyncio.Task[None] | None = None
    followed_user_group: str | None = None

    async def connect(self) -> None:
        # project id -> workspace id, for every subscription, confirmed or being checked
        self.projects: dict[int, int] = {}
        # the subscriptions whose access check passed: only these receive events
        self.confirmed: set[int] = set()
        # project id -> stream -> last version sent: drops the relay's duplicates (it delivers
        # at least once) and notices a stream that skipped a version (something was dropped).
        self.versions: dict[int, dict[str, int]] = {}
        await self.accept()
        self.counted = True
        CONNECTIONS_ACTIVE.inc()
        if registry.draining:
            await self.shut(protocol.CLOSE_SERVICE_RESTART)
            return
        registry.add(self)
        self.subscription_changes = protocol.RateLimit(
            settings.REALTIME_SUBSCRIPTION_CHANGES, settings.REALTIME_SUBSCRIPTION_WINDOW
        )
        self._set_deadline(settings.REALTIME_AUTH_TIMEOUT, "no authentication")

    async def disconnect(self, code: int) -> None:
        self.closing = True
        if self.auth_deadline is not None:
            self.auth_deadline.cancel()
        registry.discard(self)
        if self.counted:
            self.counted = False
            CONNECTIONS_ACTIVE.dec()
        for project in list(getattr(self, "projects", {})):
            await self._leave(project)
        if self.followed_user_group is not None:
            await hub().leave(self.followed_user_group, self)
            self.followed_user_group = None

    # -- sending ------------------------------------------------------------------------------

    async def reply(self, text: str, kind: str) -> None:
        if self.closing:
            return
        await self.send(text_data=text)
        SENT[kind].inc()

    async def shut(self, code: int) -> None:
        """Closes the socket from the server's side with one of protocol's close codes."""
        if self.closing:
            return
        self.closing = True
        CLOSES.labels(str(code)).inc()
        await self.close(code=code)

    def _set_deadline(self, seconds: float, why: str) -> None:
        if self.auth_deadline is not None:
            self.auth_deadline.cancel()
        self.auth_deadline = asyncio.ensure_future(self._close_after(max(0.0, seconds), why))

    async def _close_after(self, seconds: float, why: str) -> None:
        await asyncio.sleep(seconds)
        logger.info("websocket closed: %s", why)
        await self.shut(protocol.CLOSE_UNAUTHENTICATED)

    # -- client messages ----------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return
        try:
            message = protocol.parse(text_data, settings.REALTIME_MAX_MESSAGE_BYTES)
        except protocol.ProtocolError as exc:
            if self.user is None:
                await self.shut(protocol.CLOSE_UNAUTHENTICATED)
            else:
                logger.info("websocket message refused: %s", exc)
                await self.reply(protocol.error(protocol.ERROR_BAD_REQUEST), "error")
            return
        if self.user is None:
            await self._authenticate(message)
        elif message.type == protocol.AUTH:
            await self._reauthenticate(message)
        elif message.type == protocol.PING:
            await self.reply(protocol.PONG, "pong")
        elif not self.subscription_changes.allow(time.monotonic()):
            await self.reply(protocol.error(protocol.ERROR_RATE_LIMITED), "error")
        elif message.type == protocol.SUBSCRIBE:
            await self._subscribe(message.project)
        else:
            await self._unsubscribe(message.project)

    async def _authenticate(self, message: protocol.ClientMessage) -> None:
        if message.type != protocol.AUTH:
            await self.shut(protocol.CLOSE_UNAUTHENTICATED)
            return
        session = await authenticate(message.token)
        if self.closing:
            return
        if session is None:
            await self.shut(protocol.CLOSE_UNAUTHENTICATED)
            return
        self.user = session.user
        # The user's own group carries `session.ended` (password change, deactivation, deletion,
        # log out everywhere): joined before answering, so no such notice can pass unseen.
        group = user_group(session.user.pk)
        try:
            await hub().join(group, self)
            self.followed_user_group = group
        except Exception:
            # The token's expiry still bounds the socket's life.
            logger.warning("joining the group of user %s failed", session.user.pk, exc_info=True)
        self._expire_with(session)
        await self.reply(protocol.authenticated(session.user.pk), "authenticated")

    async def _reauthenticate(self, message: protocol.ClientMessage) -> None:
        """A fresh token for the same user, sent before the current one expires."""
        session = await authenticate(message.token)
        if self.closing:
            return
        if session is None:
            await self.shut(protocol.CLOSE_UNAUTHENTICATED)
            return
        if session.user.pk != self.user.pk:
            await self.reply(protocol.error(protocol.ERROR_ALREADY_AUTHENTICATED), "error")
            return
        self._expire_with(session)
        await self.reply(protocol.authenticated(session.user.pk), "authenticated")

    def _expire_with(self, session: Session) -> None:
        self._set_deadline(session.expires_at - time.time(), "access token expired")

    async def _subscribe(self, project: int) -> None:
        if project in self.confirmed:
            await self.reply(protocol.subscribed(project), "subscribed")
            return
        if len(self.projects) >= settings.REALTIME_MAX_SUBSCRIPTIONS:
            await self.reply(protocol.error(protocol.ERROR_TOO_MANY_SUBSCRIPTIONS), "error")
            return
        workspace = await workspace_of(project)
        if workspace is None:
            await self.reply(protocol.error(protocol.ERROR_FORBIDDEN), "error")
            return
        # The groups are joined before access is checked: a removal that commits after the check
        # is published after it too, so it reaches this socket through the workspace group.
        # Nothing is delivered until the check has passed.
        try:
            await self._join(project, workspace)
        except Exception:
            logger.warning("joining the groups of project %s failed", project, exc_info=True)
            await self._leave(project)
            await self.reply(protocol.error(protocol.ERROR_UNAVAILABLE), "error")
            return
        allowed = await can_read_project(self.user, project)
        if not allowed or project not in self.projects:  # refused, or revoked meanwhile
            await self._leave(project)
            await self.reply(protocol.error(protocol.ERROR_FORBIDDEN), "error")
            return
        self.confirmed.add(project)
        await self.reply(protocol.subscribed(project), "subscribed")

    async def _unsubscribe(self, project: int) -> None:
        await self._leave(project)
        await self.reply(protocol.unsubscribed(project), "unsubscribed")

    async def _join(self, project: int, workspace: int) -> None:
        first_of_workspace = workspace not in self.projects.values()
        self.projects[project] = workspace
        self.versions[project] = {}
        await hub().join(project_group(project), self)
        if first_of_workspace:
            await hub().join(workspace_group(workspace), self)

    async def _leave(self, project: int) -> None:
        self.confirmed.discard(project)
        workspace = self.projects.pop(project, None)
        self.versions.pop(project, None)
        if workspace is None:
            return
        await hub().leave(project_group(project), self)
        if workspace not in self.projects.values():
            await hub().leave(workspace_group(workspace), self)

    # -- events, from the hub -------------------------------------------------------------------

    async def deliver(self, group: str, message: dict[str, Any]) -> None:
        """An event the relay published to one of this socket's groups, or a notice about the
        user (accounts/sessions.py) on the user's own group."""
        if self.user is None or self.closing:
            return
        kind = message.get("type")
        if kind != "event.message":
            if group == self.followed_user_group:
                await self._user_notice(kind, message)
            return
        event = message.get("event") or {}
        workspace = workspace_of_group(group)
        if workspace is not None:
            await self._workspace_event(workspace, event)
            return
        project = project_of_group(group)
        if project not in self.confirmed:
            # In flight while the subscription ended: after `unsubscribed`, nothing more arrives.
            return
        order = self._order_of(project, event)
        if order == GAP:
            await self.shut(protocol.CLOSE_RESYNC)
            return
        if order == DUPLICATE:
            return
        text, committed = protocol.encode_event(event)
        # Straight to the server's send: this runs once per socket for every event.
        await self.base_send({"type": "websocket.send", "text": text})
        SENT_EVENT.inc()
        if committed is not None:
            DELIVERY_LATENCY.observe(max(0.0, time.time() - committed))

    def _order_of(self, project: int, event: dict[str, Any]) -> str:
        """NEXT for the event that follows what this socket was sent of its stream, DUPLICATE for
        one it already had (the relay delivers at least once), GAP when versions were skipped."""
        stream, version = event.get("stream"), event.get("version")
        if not isinstance(stream, str) or not isinstance(version, int):
            return NEXT
        seen = self.versions.setdefault(project, {})
        last = seen.get(stream)
        if last is not None and version <= last:
            return DUPLICATE
        if last is not None and version > last + 1:
            logger.warning(
                "websocket missed events of %s (had version %s, got %s); closing it to resync",
                stream,
                last,
                version,
            )
            return GAP
        seen.pop(stream, None)
        seen[stream] = version
        if len(seen) > settings.REALTIME_TRACKED_STREAMS:
            # The least recently changed stream is forgotten; a late duplicate of it would pass.
            seen.pop(next(iter(seen)))
        return NEXT

    async def _workspace_event(self, workspace: int, event: dict[str, Any]) -> None:
        kind, data = event.get("type"), event.get("data") or {}
        if kind == MEMBER_REMOVED and data.get("user_id") == self.user.pk:
            await self._end_all(workspace, protocol.REASON_ACCESS_REVOKED)
        elif kind == WORKSPACE_DELETED:
            await self._end_all(workspace, protocol.REASON_WORKSPACE_DELETED)
        elif kind == PROJECT_DELETED:
            project = project_of_stream(str(event.get("stream", "")))
            if project is not None and project in self.projects:
                await self._end(project, protocol.REASON_PROJECT_DELETED)

    async def _user_notice(self, kind: Any, message: dict[str, Any]) -> None:
        if kind == SESSION_ENDED:
            logger.info("websocket closed: sessions ended (%s)", message.get("reason"))
            await self.shut(protocol.CLOSE_UNAUTHENTICATED)
        elif kind == ACCESS_CHANGED:
            # A membership went without a MemberRemoved event (admin, bulk or cascade delete).
            for project in list(self.confirmed):
                if not await can_read_project(self.user, project):
                    await self._end(project, protocol.REASON_ACCESS_REVOKED)

    async def _end_all(self, workspace: int, reason: str) -> None:
        for project in [p for p, w in self.projects.items() if w == workspace]:
            await self._end(project, reason)

    async def _end(self, project: int, reason: str) -> None:
        confirmed = project in self.confirmed
        await self._leave(project)
        if confirmed:  # a subscription still being checked is refused by _subscribe instead
            await self.reply(protocol.unsubscribed(project, reason), "unsubscribed")
