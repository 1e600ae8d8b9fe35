"""What a throttle does when Redis, which holds the shared counts, cannot be reached.

The general throttles fail open: a Redis outage must not take the API down with it, and they
limit cost, not guessing. The strict throttle (login, register, password change) guards against
password guessing, so it never fails open: it falls back to a sliding window kept in the
process's memory, with the same rate per client address. Each process counts on its own, so
while Redis is down a client gets at most the rate times the number of API processes (4 workers:
20 login attempts a minute instead of 5), instead of no limit at all.

Each fallback decision is logged (at most once a minute per process) and counted in
throttle_store_fallback_total{scope, decision}.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque

from django.conf import settings
from prometheus_client import Counter

logger = logging.getLogger("api.throttle")

FALLBACKS = Counter(
    "throttle_store_fallback_total",
    "Throttle decisions taken without Redis (the shared store was unreachable), by scope and "
    "decision: allowed_open (fail open), allowed_local or refused_local (per-process window).",
    ["scope", "decision"],
)

# Client addresses remembered per process; the least recently seen are forgotten beyond this, so
# a flood from many addresses during an outage costs bounded memory.
MAX_TRACKED_KEYS = 10_000
_LOG_EVERY_SECONDS = 60.0


class LocalSlidingWindow:
    """At most `limit` requests per key in any `window` seconds, in this process's memory."""

    def __init__(self, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str, limit: int, window: float, now: float) -> tuple[bool, float]:
        """(allowed, seconds until the next request would be)."""
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - window:
                hits.popleft()
            self._hits[key] = hits  # most recently seen last
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            if len(hits) < limit:
                hits.append(now)
                return True, 0.0
            retry = hits[0] + window - now if hits else window
            return False, max(retry, 0.001)

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()


LOCAL = LocalSlidingWindow()
_last_logged = {"at": 0.0}


def decide(*, scope: str, key: str, limit: int, window: float) -> tuple[bool, float]:
    """The decision for a request its throttle could not count in Redis: (allowed, retry)."""
    if scope in settings.THROTTLE_FAIL_CLOSED_SCOPES:
        allowed, retry = LOCAL.allow(key, limit, window, time.monotonic())
        decision = "allowed_local" if allowed else "refused_local"
    else:
        allowed, retry, decision = True, 0.0, "allowed_open"
    FALLBACKS.labels(scope, decision).inc()
    now = time.monotonic()
    if now - _last_logged["at"] >= _LOG_EVERY_SECONDS:
        _last_logged["at"] = now
        logger.warning(
            "throttle store unreachable: %s throttles fail open, %s count per process",
            "the general",
            ", ".join(sorted(settings.THROTTLE_FAIL_CLOSED_SCOPES)) or "none",
            exc_info=True,
        )
    return allowed, retry
