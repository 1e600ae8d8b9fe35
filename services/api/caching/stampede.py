"""Stampede protection: when a hot entry is missing, one request recomputes it and the others
wait for its result instead of all querying PostgreSQL at once.

The recomputing request holds a short Redis lock (SET NX PX) on the entry's key. The others poll
the entry; when it appears they answer from it, and if it has not appeared after
CACHE_STAMPEDE_WAIT_SECONDS (a slow or dead recomputation) they compute it themselves. The lock
expires after CACHE_STAMPEDE_LOCK_SECONDS, so a process that died holding it blocks nobody for
long. Waiting requests never serve the previous value: with generations, the previous value is
an older state, and the request may come from the client who just wrote the new one.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings

from caching import keys, store
from caching.store import CacheUnavailable

POLL_SECONDS = 0.01


def fill(
    entry_key: str,
    *,
    compute: Callable[[], Any],
    fresh: Callable[[Any], bool],
    timeout: float,
) -> tuple[Any, bool]:
    """The entry's value and whether it came from the cache (True) or was computed (False)."""
    lock = store.full_key(keys.lock_key(entry_key))
    owner = secrets.token_hex(8)
    try:
        acquired = store.add(lock, owner, settings.CACHE_STAMPEDE_LOCK_SECONDS)
    except CacheUnavailable:
        return compute(), False
    if acquired:
        try:
            value = compute()
        except BaseException:
            with contextlib.suppress(CacheUnavailable):  # else the lock expires on its own
                store.delete_if(lock, owner)
            raise
        with contextlib.suppress(CacheUnavailable):
            store.put_and_release(entry_key, value, timeout, lock=lock, owner=owner)
        return value, False
    deadline = time.monotonic() + settings.CACHE_STAMPEDE_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        try:
            value, locked = store.get_while_locked(entry_key, lock)
        except CacheUnavailable:
            break
        if value is not None and fresh(value):
            return value, True
        if not locked:
            break  # the recomputation failed (a 404, a 400, a crash): nothing to wait for
    return _compute_and_store(entry_key, compute, timeout), False


def _compute_and_store(entry_key: str, compute: Callable[[], Any], timeout: float) -> Any:
    value = compute()
    with contextlib.suppress(CacheUnavailable):
        store.put(entry_key, value, timeout)
    return value
