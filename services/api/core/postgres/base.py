"""Django's PostgreSQL backend, with a circuit breaker around getting a connection and a steady
reconnection cadence for psycopg's pool.

ENGINE "core.postgres" in config/settings/database.py. Queries, transactions and the pool are
Django's own; only get_new_connection is wrapped (core/circuit_breaker.py explains why).
"""

import threading
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base
from psycopg_pool.base import AttemptWithBackoff

from core.circuit_breaker import CircuitBreaker

# psycopg_pool retries a failed connection with exponential backoff (1, 2, 4, 8, 16 s ... until
# reconnect_timeout) and has no setting for it, so a process could wait up to as long again as
# the outage lasted before it tried PostgreSQL again: a 5 s outage cost one Gunicorn worker 8 s
# more of 503s in the fault scenario. A steady retry about once a second (the pool's jitter
# kept) bounds recovery to a second, for one connection attempt per second per process while
# PostgreSQL is down.
AttemptWithBackoff.DELAY_BACKOFF = 1.0

_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(alias: str) -> CircuitBreaker:
    """The process's breaker for a database alias (Django makes one wrapper per thread)."""
    breaker = _breakers.get(alias)
    if breaker is not None:  # every connection asks: no lock once it exists
        return breaker
    with _breakers_lock:
        return _breakers.setdefault(
            alias, CircuitBreaker(f"PostgreSQL ({alias})", settings.DB_CIRCUIT_OPEN_SECONDS)
        )


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        breaker = breaker_for(self.alias)
        if not breaker.allow():
            # A psycopg error, so Django's wrap_database_errors turns it into its own
            # OperationalError and the API answers 503 in the envelope, as for any outage.
            raise psycopg.OperationalError(
                "PostgreSQL did not answer a moment ago (circuit open); not waiting again yet"
            )
        try:
            connection = super().get_new_connection(conn_params)
        except Exception:
            # PostgreSQL or the pool (PoolTimeout) failed, or something else did: either way
            # this attempt is over, and a probe must never stay taken, or the circuit with it.
            breaker.failed()
            raise
        except BaseException:
            # Interrupted (a worker timeout's SystemExit, KeyboardInterrupt, a cancellation):
            # nothing was learnt about PostgreSQL, but the probe must be given back.
            breaker.abandoned()
            raise
        breaker.succeeded()
        return connection
