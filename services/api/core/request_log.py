"""One structured log line and one metrics observation per request."""

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.client_ip import client_ip
from core.metrics import observe_request
from core.request_id import current_request_id

logger = logging.getLogger("api.request")

UNMATCHED_ROUTE = "<unmatched>"
# Scrapes and probes would drown the request log and the RED metrics; they are not traffic.
_QUIET_ROUTES = frozenset({"metrics", "healthz", "readyz"})


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None or match.route is None:
        return UNMATCHED_ROUTE
    return "/" + match.route.lstrip("^").rstrip("$")


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        duration = time.perf_counter() - started
        route = route_of(request)
        if route.strip("/") in _QUIET_ROUTES:
            return response
        observe_request(request.method or "-", route, response.status_code, duration)
        user = getattr(request, "user", None)
        logger.log(
            logging.WARNING if response.status_code >= 500 else logging.INFO,
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            duration * 1000,
            extra={
                "method": request.method,
                "route": route,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 2),
                "user": user.pk if user is not None and user.is_authenticated else None,
                "client_ip": client_ip(request),
                "request_id": current_request_id(),
            },
        )
        return response
