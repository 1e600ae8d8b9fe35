"""The WebSocket side of config.asgi: an Origin check in front of the /ws/v1/ route."""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from channels.routing import URLRouter
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import validate_host
from django.urls import path

from realtime.consumers import LiveConsumer

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

websocket_urlpatterns = [path("ws/v1/", LiveConsumer.as_asgi(), name="ws-v1")]


def origin_allowed(origin: str | None) -> bool:
    """Browsers always send Origin: it must name this site (a host of ALLOWED_HOSTS) or an origin
    of REALTIME_ALLOWED_ORIGINS. Clients that are not browsers send none and are let through:
    the token in the first message is what authenticates them, and no cookie is involved that a
    foreign page could ride on."""
    if origin is None:
        return True
    if origin in settings.REALTIME_ALLOWED_ORIGINS:
        return True
    host = urlsplit(origin).hostname
    return host is not None and validate_host(host, settings.ALLOWED_HOSTS)


class OriginCheck:
    def __init__(self, application: ASGIApp) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        origin = None
        for name, value in scope.get("headers", []):
            if name == b"origin":
                origin = value.decode("latin1")
        if origin_allowed(origin):
            await self.application(scope, receive, send)
        else:
            await WebsocketDenier()(scope, receive, send)


def websocket_application() -> ASGIApp:
    return OriginCheck(URLRouter(websocket_urlpatterns))
