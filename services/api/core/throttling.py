"""The four throttles of the contract, counted in Redis so every worker shares one budget.

DRF's SimpleRateThrottle keeps a request history in the cache with a read-modify-write
(get, append, set). Two workers answering at once both read the same history and both let
their request through, so under concurrency the limit leaks. Here the sliding window lives in
a Redis sorted set updated by one Lua script, which Redis runs atomically: the check and the
count are one step. No maintained library offers an atomic DRF throttle, hence this module.

Without Redis (the embedded development default, one process) DRF's own history logic is used.

A cached read checks and counts its throttles inside its one Redis round trip
(caching/round_trip.py runs the same sliding window); `bucket()` says what to count there, and
`allow_request` then takes the verdict the round trip left on the request instead of asking Redis
again. Where the verdict comes from is one place (`_verdict`), so another source (a per-process
limiter while Redis is down) plugs in there.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django_redis import get_redis_connection
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core import throttle_fallback
from core.client_ip import client_ip

if TYPE_CHECKING:
    from rest_framework.views import APIView


# Where a cached read's round trip leaves its answer on the request (caching/views.py).
ROUND_TRIP_ATTRIBUTE = "_round_trip"

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Bucket:
    """A throttle's sliding window: its full Redis key, its length and its limit."""

    key: str
    window_ms: int
    limit: int


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
    # From the settings, as caching/store.py's uses_redis (no thread-local cache lookup).
    return str(settings.CACHES["throttle"]["BACKEND"]).startswith("django_redis")


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

    def ident(self, request: Any, *, user_id: int | None) -> str | None:
        """Whose budget the request spends: None when this throttle does not apply to it."""
        raise NotImplementedError

    def get_cache_key(self, request: Any, view: APIView) -> str | None:
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        ident = self.ident(request, user_id=user_id)
        if ident is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def bucket(self, request: Any, *, user_id: int) -> Bucket | None:
        """The Redis bucket this throttle counts a request of `user_id` in, for a round trip
        made before authentication has set request.user; None when it does not apply."""
        if self.rate is None or self.num_requests is None or self.duration is None:
            return None
        if not _uses_redis():
            return None
        ident = self.ident(request, user_id=user_id)
        if ident is None:
            return None
        key = self.cache_format % {"scope": self.scope, "ident": ident}
        return Bucket(self.cache.make_key(key), self.duration * 1000, self.num_requests)

    def allow_request(self, request: Any, view: APIView) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        if not _uses_redis():
            return super().allow_request(request, view)
        return self._verdict(request, self.key)

    def _verdict(self, request: Any, key: str) -> bool:
        round_trip = getattr(request, ROUND_TRIP_ATTRIBUTE, None)
        counted = round_trip.verdict(self.cache.make_key(key)) if round_trip else None
        if counted is not None:
            allowed, self._retry_after = counted
            return allowed
        return self._allow_in_redis(key)

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

    def ident(self, request: Any, *, user_id: int | None) -> str | None:
        return None if user_id is not None else self.get_ident(request)


class UserRateThrottle(SharedRateThrottle):
    """1000/hour per user."""

    scope = "user"

    def ident(self, request: Any, *, user_id: int | None) -> str | None:
        return None if user_id is None else str(user_id)


class StrictRateThrottle(SharedRateThrottle):
    """5/minute per client address, one bucket shared by login, register and password change."""

    scope = "strict"

    def ident(self, request: Any, *, user_id: int | None) -> str | None:
        return self.get_ident(request)


class _UserWriteThrottle(SharedRateThrottle):
    def ident(self, request: Any, *, user_id: int | None) -> str | None:
        if request.method not in WRITE_METHODS or user_id is None:
            return None
        return str(user_id)


class BurstWriteThrottle(_UserWriteThrottle):
    """20/minute writes per user."""

    scope = "burst"


class SustainedWriteThrottle(_UserWriteThrottle):
    """500/hour writes per user."""

    scope = "sustained"
