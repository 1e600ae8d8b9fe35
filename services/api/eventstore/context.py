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
_current: ContextVar[CommandContext] = ContextVar("command_context")

CORRELATION_HEADER = "X-Correlation-ID"


def current_context() -> CommandContext:
    return _current.get(_NO_CONTEXT)


class CommandContextMiddleware:
    """Records the caller's address and user agent for the events this request appends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        correlation = request.headers.get(CORRELATION_HEADER, "")
        token = _current.set(
            CommandContext(
                ip_address=client_ip(request) or None,
                user_agent=request.headers.get("User-Agent", "")[:512],
                # A caller may tie several requests together; by default a request is its own
                # correlation.
                correlation_id=correlation[:128] if correlation.isprintable() else "",
            )
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def request_id_for_event() -> str:
    request_id = current_request_id()
    return "" if request_id == "-" else request_id
