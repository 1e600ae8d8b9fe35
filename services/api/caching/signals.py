"""Invalidation for changes that bypass the commands: admin edits, bulk tools, data fixes, test
factories. Each domain app declares its receivers where its models live (tasks/receivers.py,
workspaces/receivers.py, accounts/receivers.py) and hands what a change invalidates to
`invalidate` here. Commands invalidate explicitly (each app's write_through.py) and the receivers
stand down inside them. No business rule lives in a receiver: it only names what a change
invalidates.

The generations are collected per transaction and moved once after its commit, so that a bulk
change of many rows costs one Redis round trip, not one per row.

QuerySet.update() and raw SQL send no signals: a tool that changes cached tables that way must
call the owning app's write_through itself or run `manage.py cache_clear` afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from django.db import transaction

from caching import generations as gens
from caching import keys, store
from caching.write_through import in_command

# Past this many generations in one transaction (a rebuild of the read models, a mass import)
# moving the epoch is cheaper than moving each one, and invalidates at least as much.
BATCH_LIMIT = 1000


class _Batch:
    def __init__(self) -> None:
        self.generations: set[str] = set()
        self.everything = False

    def add(self, generations: Iterable[str]) -> None:
        if self.everything:
            return
        self.generations.update(generations)
        if len(self.generations) > BATCH_LIMIT:
            self.everything = True
            self.generations.clear()

    def flush(self) -> None:
        if self.everything:
            gens.move_or_remember([keys.epoch_key()])
        elif self.generations:
            gens.move_or_remember(sorted(self.generations))


_local = threading.local()


def receiving() -> bool:
    """Whether a receiver has anything to do: not inside a command (which invalidates itself),
    and with Redis as the cache. A receiver that must query to name what changed asks first."""
    return not in_command() and store.uses_redis()


def invalidate(generations: Iterable[str]) -> None:
    """Moves the generations after the commit of the current transaction (at once outside one),
    together with every other change of that transaction."""
    if not receiving():
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        gens.move_or_remember(list(generations))
        return
    batch: _Batch | None = getattr(_local, "batch", None)
    # A batch belongs to the transaction whose on-commit list still holds its flush; after a
    # commit or a rollback that list no longer does, and the next change starts a new batch.
    if batch is None or not any(entry[1] == batch.flush for entry in connection.run_on_commit):
        batch = _Batch()
        _local.batch = batch
        transaction.on_commit(batch.flush, robust=True)
    batch.add(generations)
