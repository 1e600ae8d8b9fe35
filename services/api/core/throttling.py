"""The four throttles of the contract, counted in Redis so every worker shares one budget.

DRF's SimpleRateThrottle keeps a request history in the cache with a read-modify-write
(get, append, set). Two workers answering at once both read the same history and both let
their request through, so under concurrency the limit leaks. Here the sliding window lives in
a Redis sorted set updated by one Lua script, which Redis runs atomically: the check and the
count are one step. No maintained library offers an atomic DRF throttle, hence this module.

Without Redis (the embedded development default, one process) DRF's own history logic is used.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from django.core.cache import caches
from django.http import HttpRequest
from django_redis import get_redis_connection
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core import throttle_fallback
from core.client_ip import client_ip

if TYPE_CHECKING:
    from rest_framework.views import APIView

logger = logging.getLogger("api.throttle")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# KEYS[1]: the bucket. ARGV: now (ms), window (ms), limit, a unique member for this request.
# Returns {allowed, retry_after_ms}.
_SLIDING_WINDOW = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1])}
"""


def _uses_redis() -> bool:
    return caches["throttle"].__class__.__module__.startswith("django_redis")


class SharedRateThrottle(SimpleRateThrottle):
    """A sliding-window throttle whose count is shared by every process through Redis."""

    cache = caches["throttle"]
    num_requests: int | None
    duration: int | None
    _script: Any = None

    def get_rate(self) -> str | None:
        # Read at request time, not import time, so rates follow the settings (and tests).
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return str(rate) if rate is not None else None

    def get_ident(self, request: HttpRequest) -> str:
        return client_ip(request)

    def allow_request(self, request: Any, view: APIView) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        if not _uses_redis():
            return super().allow_request(request, view)
        return self._allow_in_redis(self.key)

    def _allow_in_redis(self, key: str) -> bool:
        if self.num_requests is None or self.duration is None:
            return True
        if self.num_requests <= 0:  # `0/min`: blocked (the script would fail, and fail open)
            self._retry_after = float(self.duration)
            return False
        try:
            script = self._registered_script()
            allowed, retry_ms = script(
                keys=[self.cache.make_key(key)],
                args=[
                    int(time.time() * 1000),
                    self.duration * 1000,
                    self.num_requests,
                    uuid.uuid4().hex,
                ],
            )
        except Exception:
            # The strict scope falls back to a per-process count, the others fail open.
            allowed, self._retry_after = throttle_fallback.decide(
                scope=self.scope or "", key=key, limit=self.num_requests, window=self.duration
            )
            return allowed
        self._retry_after = int(retry_ms) / 1000
        return bool(allowed)

    @classmethod
    def _registered_script(cls) -> Any:
        if cls._script is None:
            SharedRateThrottle._script = get_redis_connection("throttle").register_script(
                _SLIDING_WINDOW
            )
        return SharedRateThrottle._script

    def wait(self) -> float | None:
        if _uses_redis():
            return max(getattr(self, "_retry_after", 0.0), 0.001)
        return super().wait()


class AnonRateThrottle(SharedRateThrottle):
    """100/hour per client address for requests without a user."""

    scope = "anon"

    def get_cache_key(self, request: Any, view: APIView) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserRateThrottle(SharedRateThrottle):
    """1000/hour per user."""

    scope = "user"

    def get_cache_key(self, request: Any, view: APIView) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class StrictRateThrottle(SharedRateThrottle):
    """5/minute per client address, one bucket shared by login, register and password change."""

    scope = "strict"

    def get_cache_key(self, request: Any, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _UserWriteThrottle(SharedRateThrottle):
    def get_cache_key(self, request: Any, view: APIView) -> str | None:
        if request.method not in WRITE_METHODS:
            return None
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class BurstWriteThrottle(_UserWriteThrottle):
    """20/minute writes per user."""

    scope = "burst"


class SustainedWriteThrottle(_UserWriteThrottle):
    """500/hour writes per user."""

    scope = "sustained"
