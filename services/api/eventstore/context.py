"""Who and what caused the events a command appends: bound per request, read by the store."""

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from core.client_ip import client_ip
from core.request_id import current_request_id


@dataclass(frozen=True)
class CommandContext:
    ip_address: str | None = None
    user_agent: str = ""
    correlation_id: str = ""


_NO_CONTEXT = CommandContext()
# The request whose context a command would record; the context is read from it only when a
# command appends events (most requests are reads and append none).
_current: ContextVar[HttpRequest | None] = ContextVar("command_request", default=None)

CORRELATION_HEADER = "X-Correlation-ID"
# Where WSGI puts that header (read from META: `request.headers` builds a mapping of them all).
_CORRELATION_META = "HTTP_" + CORRELATION_HEADER.upper().replace("-", "_")


def current_context() -> CommandContext:
    request = _current.get()
    if request is None:
        return _NO_CONTEXT
    correlation = request.META.get(_CORRELATION_META, "")
    return CommandContext(
        ip_address=client_ip(request) or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
        # A caller may tie several requests together; by default a request is its own
        # correlation.
        correlation_id=correlation[:128] if correlation.isprintable() else "",
    )


class CommandContextMiddleware:
    """Records the caller's address and user agent for the events this request appends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def request_id_for_event() -> str:
    request_id = current_request_id()
    return "" if request_id == "-" else request_id
