"""When a change invalidates: the generations a write moves, and the rewrite after its commit.

Each domain app names what its changes invalidate (its cache_keys.py) and what its commands call
(its write_through.py), which comes here: `after_write` moves the generations twice: at once, so
that reads inside the same transaction (and those racing the commit) stop hitting the old
entries, and again after the commit, because a reader that resolved the new token before the
commit may have stored the pre-commit state under it. After the commit the changed entity's
entry is also rewritten.

Changes that bypass the commands (admin edits, bulk tools, factories) reach each app's
receivers.py, which hand them to signals.py: it collects the generations per transaction and
moves them once after the commit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from caching import generations as gens
from caching import keys, store
from caching.store import CacheUnavailable


@dataclass(frozen=True)
class Rewrite:
    """After the commit: move the entity's own generation, render the entity from PostgreSQL and
    store it under the new token, so the next read is a hit. Rendering after moving is what
    makes this safe against concurrent writers: an entry stored under a token always holds a
    state read after that token was set, and any later commit moves the token again."""

    cache: str
    base: str
    generation: str
    render: Callable[[], Any]

    def run(self, also_moved: Sequence[str] = ()) -> None:
        try:
            entry_key = gens.move_and_resolve(
                self.base, [keys.epoch_key(), self.generation], also_moved
            )
        except CacheUnavailable:
            gens.PENDING_EPOCH.set()
            return
        if not settings.CACHE_ENABLED:
            return
        value = self.render()
        if value is None:
            return  # deleted meanwhile: the moved generation is all the invalidation needed
        # If Redis fails here, the generation has moved all the same: the entry is merely missing.
        with contextlib.suppress(CacheUnavailable):
            store.put(entry_key, value, settings.CACHE_TIMEOUTS[self.cache])


def after_write(generations: Iterable[str], rewrite: Rewrite | None = None) -> None:
    """Invalidates for a command: now, and again after the commit with the rewrite."""
    if not store.uses_redis():
        return
    unique = list(dict.fromkeys(generations))
    gens.move_or_remember(unique)
    connection = transaction.get_connection()
    if connection.in_atomic_block:

        def after_commit() -> None:
            _after_commit(unique, rewrite)

        # A function, not a functools.partial: when a robust hook fails, Django logs it by its
        # __qualname__, which a partial lacks, and the AttributeError turned a committed write
        # into a 500 (a PostgreSQL restart right after the commit did it).
        transaction.on_commit(after_commit, robust=True)
    elif rewrite is not None:
        rewrite.run()


def _after_commit(generations: list[str], rewrite: Rewrite | None) -> None:
    if rewrite is None:
        gens.move_or_remember(generations)
        return
    rewrite.run(also_moved=[g for g in generations if g != rewrite.generation])
