"""Operators: empty the read cache in an incident (docs/caching.md#clearing-the-caches).

By default it moves the cache epoch, one Redis command: every cached entry becomes unreachable at
once and the next reads refill from PostgreSQL; the old entries expire on their own. `--delete`
also deletes the entries (to free memory), family by family with SCAN, never with KEYS or
FLUSHDB: the throttle counters (another key prefix) and the write-behind buffers (no version in
their keys) are not touched.
"""

from typing import Any

from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError

from caching import generations, keys, store
from caching.store import CacheUnavailable


class Command(BaseCommand):
    help = "Invalidate every cached read at once (moves the epoch); --delete also frees the keys."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--delete",
            action="append",
            nargs="?",
            const="all",
            choices=["all", *keys.FAMILIES],
            help="Also delete the keys of a family (repeatable; without a value: every family).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not store.uses_redis():
            raise CommandError("The read cache is not Redis: there is nothing to clear.")
        store.BREAKER.reset()
        try:
            generations.move_epoch()
        except CacheUnavailable as exc:
            raise CommandError(f"Redis is unreachable: {exc.__cause__}") from None
        self.stdout.write("moved the epoch: every cached read is now a miss")
        families = options["delete"] or []
        if "all" in families:
            families = list(keys.FAMILIES)
        cache: Any = caches[store.ALIAS]
        for family in dict.fromkeys(families):
            deleted = cache.delete_pattern(keys.FAMILIES[family])
            self.stdout.write(f"deleted {deleted} keys of {family}")
