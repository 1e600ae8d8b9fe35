"""Cache-aside: look the entry up under its current generations; on a miss compute it from
PostgreSQL (one request at a time, see stampede.py) and store it. Every lookup counts once in
cache_requests_total{cache, result}."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings

from caching import generations as gens
from caching import keys, stampede
from caching.metrics import CACHE_REQUESTS
from caching.store import CacheUnavailable

HIT = "hit"
MISS = "miss"


def _always(value: Any) -> bool:
    return True


def cached(
    *,
    cache: str,
    base: str,
    generations: Sequence[str],
    compute: Callable[[], Any],
    fresh: Callable[[Any], bool] = _always,
) -> Any:
    """The value of the entry `base` under `generations` (the epoch is always added).

    `compute` reads PostgreSQL and returns the value to cache (never None); exceptions it raises
    (404, 400) propagate and nothing is stored. `fresh` may reject an entry found in the cache
    (for instance one whose version is not the version the database has now)."""
    if not settings.CACHE_ENABLED:
        return compute()
    try:
        entry_key, value = gens.resolve(base, [keys.epoch_key(), *generations])
    except CacheUnavailable:
        CACHE_REQUESTS.labels(cache, MISS).inc()
        return compute()
    return found(cache=cache, entry_key=entry_key, value=value, compute=compute, fresh=fresh)


def found(
    *,
    cache: str,
    entry_key: str,
    value: Any,
    compute: Callable[[], Any],
    fresh: Callable[[Any], bool],
) -> Any:
    """The entry read under its resolved key (by `cached` or by a cached read's round trip):
    `value` when there is one and it is `fresh` (a hit), else computed and stored (`fill`)."""
    if value is not None and fresh(value):
        count_hit(cache)
        return value
    return fill(cache=cache, entry_key=entry_key, compute=compute, fresh=fresh)


def fill(
    *, cache: str, entry_key: str, compute: Callable[[], Any], fresh: Callable[[Any], bool]
) -> Any:
    """The miss of an entry whose key is resolved (by `cached` or by a cached read's round trip,
    caching/round_trip.py): computed once under stampede protection, and stored."""
    value, hit = stampede.fill(
        entry_key, compute=compute, fresh=fresh, timeout=settings.CACHE_TIMEOUTS[cache]
    )
    CACHE_REQUESTS.labels(cache, HIT if hit else MISS).inc()
    return value


def count_hit(cache: str) -> None:
    CACHE_REQUESTS.labels(cache, HIT).inc()
