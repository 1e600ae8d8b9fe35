"""Liveness and readiness probes."""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django_redis import get_redis_connection

from core.errors import error_response

logger = logging.getLogger("api.health")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Dependencies are readiness's business, not liveness's."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis() -> None:
    get_redis_connection("default").ping()


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the configured database and, when set, Redis answer right now."""
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            logger.warning("readiness check failed: %s: %s", name, exc.__class__.__name__)
            results[name] = "unavailable"
    if any(value != "ok" for value in results.values()):
        return error_response(503, "Not ready: a backing service is unavailable.", details=results)
    return JsonResponse({"status": "ok", "checks": results})
