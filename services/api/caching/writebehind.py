"""Write-behind of views: counted in Redis on every read of an object, moved to PostgreSQL in
batches by the flusher worker (manage.py flush_writebehind). The app whose objects are viewed
registers the buffer's name and how a batch of counts is applied to its table (`register`; the
tasks app does, for task views: tasks/view_counts.py).

A view costs the request one atomic Redis script (HINCRBY plus a compare-and-set of the last
view time) instead of a PostgreSQL write. The flusher takes the buffer atomically by renaming it
(views arriving meanwhile start a new buffer, so none is lost), writes it in chunks, each chunk
in one transaction with a marker row naming the batch and chunk, and deletes the renamed buffer
only after the last chunk committed. A flusher that dies at any point leaves the renamed buffer
in Redis; the next run applies it first and skips the chunks whose marker exists. So views are
never lost or counted twice by a flusher's death.

What Redis's own death loses is written in docs/caching.md: the views buffered since the last
flush (and those of a renamed buffer not yet committed), and the views made while it is down.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis import Redis

from caching import keys, store
from caching.metrics import (
    WRITEBEHIND_DROPPED,
    WRITEBEHIND_FLUSH_DURATION,
    WRITEBEHIND_FLUSHED,
    WRITEBEHIND_PENDING,
)
from caching.models import WriteBehindChunk
from caching.store import CacheUnavailable, Script

logger = logging.getLogger("caching.writebehind")

# KEYS[1]: buffer. ARGV[1]: object id; ARGV[2]: now in ms; ARGV[3]: most fields the buffer holds.
# Returns 1, or 0 when the view was dropped: a new object would grow a full buffer.
_RECORD_VIEW = Script(
    """
local field = 'n:' .. ARGV[1]
if redis.call('HEXISTS', KEYS[1], field) == 0
   and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HINCRBY', KEYS[1], field, 1)
local last = redis.call('HGET', KEYS[1], 't:' .. ARGV[1])
if (not last) or tonumber(last) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 't:' .. ARGV[1], ARGV[2])
end
return 1
"""
)

# KEYS: buffer, flushing, flushing batch id. ARGV[1]: a new batch id.
# Returns {batch id, 1 when it is a batch a previous run left behind} or false when empty.
_TAKE = Script(
    """
if redis.call('EXISTS', KEYS[2]) == 1 then
  local batch = redis.call('GET', KEYS[3])
  if not batch then
    batch = ARGV[1]
    redis.call('SET', KEYS[3], batch)
  end
  return {batch, 1}
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('SET', KEYS[3], ARGV[1])
return {ARGV[1], 0}
"""
)

# Markers older than this are pruned: no flusher resumes a batch that old.
MARKER_RETENTION = timedelta(days=7)

# {object id: (views, last view in ms)}, added to the owner's table in one transaction.
Apply = Callable[[dict[int, tuple[int, int]]], None]


@dataclass(frozen=True)
class Buffer:
    name: str  # part of the buffer's raw Redis keys (caching/keys.py)
    apply: Apply


_registered: list[Buffer] = []


def register(*, name: str, apply: Apply) -> None:
    """Names the buffer and how its counts reach PostgreSQL (an AppConfig.ready() calls it)."""
    _registered[:] = [Buffer(name, apply)]


def _buffer() -> Buffer:
    if not _registered:
        raise ImproperlyConfigured("no write-behind buffer is registered (writebehind.register)")
    return _registered[0]


def _buffer_key() -> str:
    return keys.writebehind_buffer_key(_buffer().name)


def _flushing_key() -> str:
    return keys.writebehind_flushing_key(_buffer().name)


def record_view(object_id: int) -> None:
    """Counts one view of an object. Never fails the request: with Redis down the view is lost."""
    if not settings.WRITEBEHIND_ENABLED:
        return
    if not store.uses_redis():
        # Embedded development (no Redis): no buffer to flush, so write straight through.
        _apply({object_id: (1, int(time.time() * 1000))})
        return
    now_ms = int(time.time() * 1000)
    # Two fields per object; while the flusher is down the buffer stops growing at this size.
    max_fields = 2 * settings.WRITEBEHIND_MAX_BUFFERED_TASKS
    with contextlib.suppress(CacheUnavailable):  # the view is lost, the answer is not
        recorded = store.run(
            "record_view",
            lambda client: _RECORD_VIEW(client, [_buffer_key()], [object_id, now_ms, max_fields]),
        )
        if not recorded:
            WRITEBEHIND_DROPPED.inc()


@dataclass(frozen=True)
class FlushResult:
    tasks: int = 0  # objects whose counts were written (the registered buffer's are tasks)
    views: int = 0
    chunks_skipped: int = 0

    def __add__(self, other: FlushResult) -> FlushResult:
        return FlushResult(
            self.tasks + other.tasks,
            self.views + other.views,
            self.chunks_skipped + other.chunks_skipped,
        )


def flush(batch_size: int | None = None) -> FlushResult:
    """Moves everything buffered to PostgreSQL: first a batch a dead flusher left behind, then
    the current buffer. Raises CacheUnavailable when Redis cannot be reached (nothing is lost:
    the buffer stays where it is)."""
    batch_size = batch_size or settings.WRITEBEHIND_BATCH_SIZE
    started = time.perf_counter()
    total = FlushResult()
    for _ in range(2):  # a leftover batch, then the live buffer
        taken = _take(batch_size)
        if taken is None:
            break
        batch, leftover = taken
        views = _read_flushing()
        WRITEBEHIND_PENDING.set(len(views))
        # A resumed batch is cut into the chunks it was first cut into, whatever the batch
        # size is now: its markers name chunks by position.
        total += _apply_batch(batch, views, _chunk_size(batch) or batch_size)
        _finish()
        if not leftover:
            break
    _prune_markers()
    WRITEBEHIND_FLUSHED.inc(total.views)
    WRITEBEHIND_FLUSH_DURATION.observe(time.perf_counter() - started)
    return total


def _take(batch_size: int | None = None) -> tuple[str, bool] | None:
    # The batch id carries its chunk size: "<random>-<size>", at most 32 characters.
    batch = f"{secrets.token_hex(12)}-{batch_size or settings.WRITEBEHIND_BATCH_SIZE}"
    flush_keys = [
        _buffer_key(),
        _flushing_key(),
        keys.writebehind_flushing_batch_key(_buffer().name),
    ]
    result = store.run("writebehind_take", lambda client: _TAKE(client, flush_keys, [batch]))
    if not result:
        return None
    batch_id, leftover = result
    return _text(batch_id), bool(int(leftover))


def _chunk_size(batch: str) -> int | None:
    """The chunk size a batch was taken with; None for a batch id without one."""
    _, dash, size = batch.rpartition("-")
    return int(size) if dash and size.isascii() and size.isdigit() and int(size) > 0 else None


def _read_flushing() -> dict[int, tuple[int, int]]:
    """{object id: (views, last view in ms)} from the renamed buffer."""
    fields: dict[Any, Any] = store.run(
        "writebehind_read", lambda client: client.hgetall(_flushing_key())
    )
    counts: dict[int, int] = {}
    last: dict[int, int] = {}
    for raw_field, raw_value in fields.items():
        kind, _, object_id = _text(raw_field).partition(":")
        if kind == "n":
            counts[int(object_id)] = int(raw_value)
        elif kind == "t":
            last[int(object_id)] = int(raw_value)
    return {object_id: (count, last.get(object_id, 0)) for object_id, count in counts.items()}


def _apply_batch(batch: str, views: dict[int, tuple[int, int]], batch_size: int) -> FlushResult:
    object_ids = sorted(views)
    result = FlushResult()
    for chunk, start in enumerate(range(0, len(object_ids), batch_size)):
        chunk_views = {
            object_id: views[object_id] for object_id in object_ids[start : start + batch_size]
        }
        try:
            with transaction.atomic():
                # The marker first: a second flusher resuming the same batch fails here and
                # skips the chunk instead of counting it twice.
                WriteBehindChunk.objects.create(batch=batch, chunk=chunk)
                _apply(chunk_views)
        except IntegrityError:
            result += FlushResult(chunks_skipped=1)
            continue
        result += FlushResult(
            tasks=len(chunk_views), views=sum(count for count, _ in chunk_views.values())
        )
    return result


def _apply(views: dict[int, tuple[int, int]]) -> None:
    """Adds the counts to PostgreSQL, as the registered buffer's owner applies them."""
    _buffer().apply(views)


def _finish() -> None:
    def command(client: Redis) -> Any:
        return client.delete(_flushing_key(), keys.writebehind_flushing_batch_key(_buffer().name))

    store.run("writebehind_finish", command)


def _prune_markers() -> None:
    WriteBehindChunk.objects.filter(applied_at__lt=timezone.now() - MARKER_RETENTION).delete()


def buffered_views(object_id: int) -> int:
    """Views of an object waiting in Redis (both buffers), for tests and operators."""

    def command(client: Redis) -> list[Any]:
        pipeline = client.pipeline(transaction=False)
        pipeline.hget(_buffer_key(), f"n:{object_id}")
        pipeline.hget(_flushing_key(), f"n:{object_id}")
        return pipeline.execute()

    return sum(int(value or 0) for value in store.run("writebehind_read", command))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
