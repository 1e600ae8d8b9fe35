"""A circuit breaker for connecting to PostgreSQL, one per process and database alias.

When PostgreSQL stops answering, every request would otherwise wait the whole pool timeout
(DB_POOL_TIMEOUT) before its 503. After one such failure the breaker opens: for
DB_CIRCUIT_OPEN_SECONDS every connection attempt fails at once, then a single caller probes
while the others keep failing fast, and the first success closes it again.

Written here rather than taken from pybreaker: pybreaker holds one lock across the protected
call, so the threads of a gthread worker would queue behind a probe that waits the pool
timeout instead of failing fast, which is the point of the breaker.
"""

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("api.database")


class CircuitBreaker:
    def __init__(
        self, name: str, open_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self.open_seconds = open_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def allow(self) -> bool:
        """True when the caller may try: the circuit is closed, or it is its turn to probe."""
        if self._opened_at is None:
            # Every request passes here: no lock while closed. A failure recorded a moment
            # later lets at most this one attempt through, which is what closed means anyway.
            return True
        with self._lock:
            if self._opened_at is None:
                return True
            if self._probing or self._clock() - self._opened_at < self.open_seconds:
                return False
            self._probing = True
            return True

    def succeeded(self) -> None:
        if self._opened_at is None:
            return
        with self._lock:
            was_open = self._opened_at is not None
            self._opened_at = None
            self._probing = False
        if was_open:
            logger.warning("circuit closed: %s answers again", self.name)

    def abandoned(self) -> None:
        """An attempt ended without an answer either way: a probe in progress is released, so
        the next caller probes; the circuit stays as it was."""
        with self._lock:
            self._probing = False

    def failed(self) -> None:
        with self._lock:
            was_open = self._opened_at is not None
            self._opened_at = self._clock()
            self._probing = False
        if not was_open:
            logger.warning(
                "circuit opened: %s does not answer; failing fast for %.1f s",
                self.name,
                self.open_seconds,
            )
