"""A circuit breaker, one per process and protected server: PostgreSQL connections
(core/postgres/base.py) and the read cache's Redis (caching/store.py).

When a server stops answering, every request would otherwise wait its whole timeout (the pool
timeout, Redis's socket timeout) before failing. After one such failure the breaker opens: for
`open_seconds` every attempt fails at once, then a single caller probes while the others keep
failing fast, and the first success closes it again.

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
    """`open_seconds` is a number, or a function that reads it (from settings) when the circuit
    opens. `allow()` before each attempt, then exactly one of `succeeded()`, `failed()` (the
    server did not answer) or `abandoned()` (the attempt ended otherwise, a BaseException
    included) after it: a probe that is never given back would keep the circuit open for good."""

    def __init__(
        self,
        name: str,
        open_seconds: float | Callable[[], float],
        clock: Callable[[], float] = time.monotonic,
        log: logging.Logger = logger,
    ) -> None:
        self.name = name
        self._open_seconds = open_seconds
        self._clock = clock
        self._log = log
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        # The thread whose attempt is the probe, so that only its own outcome gives it back.
        self._prober: int | None = None

    @property
    def open_seconds(self) -> float:
        window = self._open_seconds
        return window() if callable(window) else window

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
            if self._prober is not None or self._clock() - self._opened_at < self.open_seconds:
                return False
            self._prober = threading.get_ident()
            return True

    def succeeded(self) -> None:
        if self._opened_at is None:
            return
        with self._lock:
            was_open = self._opened_at is not None
            self._opened_at = None
            self._prober = None
        if was_open:
            self._log.warning("circuit closed: %s answers again", self.name)

    def abandoned(self) -> None:
        """An attempt ended without an answer either way: the caller's probe, if it held it, is
        given back, so the next caller probes; the circuit stays as it was."""
        if self._prober != threading.get_ident():
            return
        with self._lock:
            if self._prober == threading.get_ident():
                self._prober = None

    def failed(self, error: BaseException | None = None) -> None:
        with self._lock:
            was_open = self._opened_at is not None
            self._opened_at = self._clock()
            self._prober = None
        if not was_open:
            self._log.warning(
                "circuit opened: %s does not answer%s; failing fast for %.1f s",
                self.name,
                f" ({error.__class__.__name__})" if error is not None else "",
                self.open_seconds,
            )

    def reset(self) -> None:
        """Closes the circuit at once, without waiting for a probe (an operator cleared the
        cache; a test starts from a clean process)."""
        with self._lock:
            self._opened_at = None
            self._prober = None
