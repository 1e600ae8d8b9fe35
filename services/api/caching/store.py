"""The one door to Redis for every caching pattern: commands and Lua scripts on the read cache's
server, the encoding of cached values, and a breaker that keeps a dead Redis from slowing every
request down.

django-redis's own methods swallow connection errors (DJANGO_REDIS_IGNORE_EXCEPTIONS), which
would hide an outage from the breaker and from the invalidation code that must remember a lost
invalidation; so this module talks to the client underneath and turns every Redis failure into
CacheUnavailable. Callers then answer from PostgreSQL.

The read cache needs Redis: with the embedded development default (local memory) every read goes
to the database, as with CACHE_ENABLED off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django_redis import get_redis_connection
from django_redis.exceptions import ConnectionInterrupted
from redis import Redis
from redis.commands.core import Script as RedisScript
from redis.exceptions import RedisError

from caching.metrics import CACHE_ERRORS
from core.circuit_breaker import CircuitBreaker

T = TypeVar("T")

ALIAS = "default"


class CacheUnavailable(Exception):
    """Redis is not configured, failed, or is being skipped by the breaker."""


class ReadCacheBreaker(CircuitBreaker):
    """Per process: after a failure Redis is skipped for CACHE_BREAKER_SECONDS, then one request
    probes it while the others keep answering from PostgreSQL.

    Per process rather than shared, because what it protects against is this process's own
    waiting on a dead server; sharing the state would need the server that is down."""

    def trip(self, operation: str, error: BaseException) -> None:
        """A Redis operation failed: counted by operation, and the circuit opens (again)."""
        CACHE_ERRORS.labels(operation).inc()
        self.failed(error)


BREAKER = ReadCacheBreaker(
    "Redis (read cache)", lambda: settings.CACHE_BREAKER_SECONDS, log=logging.getLogger("caching")
)


def uses_redis() -> bool:
    # From the settings the cache is built from, not the cache object: `caches[...]` goes through
    # a thread-local lookup, and a cached read asks this several times per request.
    return str(settings.CACHES[ALIAS]["BACKEND"]).startswith("django_redis")


def run(operation: str, command: Callable[[Redis], T]) -> T:
    """Runs `command` with a Redis client of the read cache; any failure is CacheUnavailable."""
    if not uses_redis():
        raise CacheUnavailable("the read cache is not Redis")
    if not BREAKER.allow():
        raise CacheUnavailable("Redis is skipped after a recent failure")
    try:
        result = command(get_redis_connection(ALIAS))
    except (RedisError, OSError, ConnectionInterrupted) as exc:
        BREAKER.trip(operation, exc)
        raise CacheUnavailable(operation) from exc
    except BaseException:
        # Not Redis's failure (a bug, a worker timeout's SystemExit): the probe goes back.
        BREAKER.abandoned()
        raise
    BREAKER.succeeded()
    return result


def key_maker() -> Callable[[str], str]:
    """`full_key` for many keys: the cache is looked up once (each `caches[...]` is a
    thread-local lookup, and a round trip names about six keys)."""
    make_key = caches[ALIAS].make_key
    return lambda key: str(make_key(key))


def full_key(key: str) -> str:
    """The key as stored in Redis: with the cache's prefix and version."""
    return key_maker()(key)


# Values that are already bytes (stored responses, principals: caching/stored.py) are kept as
# they are, so that a hit hands them to the response and Lua can read them; they begin with a
# NUL byte, which neither a pickle (0x80) nor django-redis's plain integers ever do.
RAW_MARK = b"\x00"


def encode(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return bytes(caches[ALIAS].client.encode(value, allow_int=False))  # type: ignore[attr-defined]


def decode(raw: bytes | str | None) -> Any:
    """The stored value; None when there is none or it cannot be read (a corrupt value is then
    recomputed and replaced like a missing one, never answered)."""
    if raw is None:
        return None
    if isinstance(raw, bytes) and raw[:1] == RAW_MARK:
        return raw
    try:
        return caches[ALIAS].client.decode(raw)  # type: ignore[attr-defined]
    except Exception:  # unpickling garbage can raise almost any exception type
        return None


class Script:
    """A Lua script, run with redis-py's registered scripts (EVALSHA, loaded again when the
    server lost it after a restart). Redis runs a script atomically: nothing else runs between
    its commands.

    Registered on the first client that runs it rather than at import: the module-level scripts
    exist before any connection does. The registration only computes the digest (with the
    client's encoding), so any client of the process may run it afterwards."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._registered: RedisScript | None = None

    def __call__(self, client: Redis, keys: Sequence[str], args: Sequence[Any]) -> Any:
        if self._registered is None:
            self._registered = client.register_script(self.source)
        return self._registered(keys=keys, args=args, client=client)


def get(key: str) -> Any:
    """The decoded value stored at a full key, or None."""
    return decode(run("get", lambda client: client.get(key)))


def get_while_locked(key: str, lock: str) -> tuple[Any, bool]:
    """The decoded value at a full key, and whether `lock` is still held (one round trip)."""

    def command(client: Redis) -> list[Any]:
        pipeline = client.pipeline(transaction=False)
        pipeline.get(key)
        pipeline.exists(lock)
        return pipeline.execute()

    raw, locked = run("get", command)
    return decode(raw), bool(locked)


def put(key: str, value: Any, timeout: float) -> None:
    """Stores a value at a full key for `timeout` seconds."""
    payload = encode(value)
    run("set", lambda client: client.set(key, payload, px=max(1, int(timeout * 1000))))


_PUT_AND_RELEASE = Script(
    """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then
  redis.call('DEL', KEYS[2])
end
return 1
"""
)


def put_and_release(key: str, value: Any, timeout: float, *, lock: str, owner: str) -> None:
    """Stores a value at a full key and releases the lock `owner` holds, in one round trip."""
    payload = encode(value)
    milliseconds = max(1, int(timeout * 1000))
    run(
        "set",
        lambda client: _PUT_AND_RELEASE(client, [key, lock], [payload, milliseconds, owner]),
    )


def add(key: str, value: str, timeout: float) -> bool:
    """Stores a value at a full key unless the key exists; True when it stored it."""
    return bool(
        run("add", lambda client: client.set(key, value, nx=True, px=max(1, int(timeout * 1000))))
    )


_DELETE_IF = Script(
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
)


def delete_if(key: str, value: str) -> None:
    """Deletes a full key only while it still holds `value` (a lock this process owns)."""
    run("delete", lambda client: _DELETE_IF(client, [key], [value]))
