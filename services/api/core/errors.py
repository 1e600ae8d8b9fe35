"""One error envelope for every failure, whoever raises it.

`{"error": {"code", "message", "details", "request_id"}}` is produced in two places: DRF's
exception handler for everything raised inside API views, and a middleware for what happens
outside them (unknown URLs, CSRF failures, oversized bodies, exceptions in plain Django views).
"""

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from core.request_id import current_request_id

logger = logging.getLogger("api.errors")

DEFAULT_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "request_too_large",
    415: "unsupported_media_type",
    428: "precondition_required",
    429: "throttled",
    500: "server_error",
    503: "service_unavailable",
}

DEFAULT_MESSAGES: Mapping[int, str] = {
    400: "The request could not be understood.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "An internal error occurred. Quote the request id when reporting it.",
    503: "A backing service is unavailable. Retry shortly.",
}

# DRF exception classes whose code is more specific than their status's default.
_CODES_BY_EXCEPTION: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.ValidationError, "validation_error"),
    (exceptions.ParseError, "parse_error"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.Throttled, "throttled"),
)


# DRF's catch-all codes, too vague for clients: the status's own code is used instead.
_GENERIC_CODES = frozenset({"error", "invalid"})


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource was changed by another request. Reload it and retry."
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource's version does not match If-Match."
    default_code = "precondition_failed"


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "The resource no longer exists."
    default_code = "gone"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = DEFAULT_MESSAGES[503]
    default_code = "service_unavailable"


def envelope(
    status_code: int, message: str, *, code: str | None = None, details: Any = None
) -> dict[str, Any]:
    return {
        "error": {
            "code": code or DEFAULT_CODES.get(status_code, "error"),
            "message": message,
            "details": details if details is not None else {},
            "request_id": current_request_id(),
        }
    }


def _code_for(exc: exceptions.APIException) -> str:
    for exception_class, code in _CODES_BY_EXCEPTION:
        if isinstance(exc, exception_class):
            return code
    declared = getattr(exc, "default_code", None)
    if isinstance(declared, str) and declared not in _GENERIC_CODES:
        return declared
    return DEFAULT_CODES.get(exc.status_code, "error")


def _message_and_details(exc: exceptions.APIException) -> tuple[str, Any]:
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        details = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        return "The request is invalid.", details
    if isinstance(detail, dict):
        # simplejwt reports token problems as {"detail", "code", "messages"}.
        message = str(detail.get("detail", DEFAULT_MESSAGES.get(exc.status_code, "")))
        extra = {k: v for k, v in detail.items() if k != "detail"}
        return message, extra
    if isinstance(detail, list):
        return " ".join(str(item) for item in detail), {}
    return str(detail), {}


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(serializers.as_serializer_error(exc))
    if isinstance(exc, RequestDataTooBig):
        too_large = exceptions.APIException(DEFAULT_MESSAGES[413])
        too_large.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        return too_large
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError(DEFAULT_MESSAGES[400])
    if isinstance(exc, OperationalError | InterfaceError):
        return ServiceUnavailable()
    return None


def envelope_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception raised in an API view becomes the envelope."""
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        logger.exception("unhandled exception", extra={"view": _view_name(context)})
        response = Response(envelope(500, DEFAULT_MESSAGES[500]), status=500)
        response.is_error_envelope = True  # type: ignore[attr-defined]
        return response

    message, details = _message_and_details(api_exc)
    response = Response(
        envelope(api_exc.status_code, message, code=_code_for(api_exc), details=details),
        status=api_exc.status_code,
    )
    wait = getattr(api_exc, "wait", None)
    if wait is not None:
        response["Retry-After"] = str(max(1, int(wait + 0.999)))
    if isinstance(api_exc, ServiceUnavailable):
        response["Retry-After"] = "5"
        logger.warning("backing service unavailable: %s", exc.__class__.__name__)
    auth_header = getattr(api_exc, "auth_header", None)
    if auth_header:
        response["WWW-Authenticate"] = auth_header
    response.is_error_envelope = True  # type: ignore[attr-defined]
    return response


def _view_name(context: Mapping[str, Any]) -> str:
    view = context.get("view")
    return view.__class__.__name__ if view is not None else "-"


def error_response(
    status_code: int, message: str | None = None, *, details: Any = None
) -> JsonResponse:
    response = JsonResponse(
        envelope(status_code, message or DEFAULT_MESSAGES.get(status_code, ""), details=details),
        status=status_code,
    )
    response.is_error_envelope = True  # type: ignore[attr-defined]
    return response


class ErrorEnvelopeMiddleware:
    """Wraps whatever Django itself answers with an error (HTML 404s, CSRF 403s, 500s)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 400 and not getattr(response, "is_error_envelope", False):
            replacement = error_response(response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        api_exc = _as_api_exception(exc)
        if api_exc is not None:
            message, details = _message_and_details(api_exc)
            return error_response(api_exc.status_code, message, details=details)
        if isinstance(exc, DatabaseError):
            logger.exception("database error outside the API")
        else:
            logger.exception("unhandled exception outside the API")
        return error_response(500)


def bad_request_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(400)


def permission_denied_view(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    return error_response(403)


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(404)


def server_error_view(request: HttpRequest) -> HttpResponse:
    return error_response(500)
