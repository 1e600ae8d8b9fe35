"""Generations: how cached entries are found and invalidated.

Every entry depends on a few generation keys (the epoch, plus e.g. "the tasks of project 7"),
each holding a random token. An entry lives at its base key plus a digest of the current tokens,
so moving a generation to a new token makes every entry depending on it unreachable at once, in
one Redis command, whatever their number; the old entries expire on their own. Tokens are random,
never counters: a generation key that expired or was lost comes back with a new token, never with
an old one, so no old entry can become reachable again.

A reader resolves the tokens *before* reading PostgreSQL and stores what it read under the key of
those tokens. A writer moves the generation *after* its commit. Whatever the interleaving, an
entry holding a state older than a commit sits under a token that commit has moved away from.

When an invalidation cannot reach Redis, the process remembers it and moves the epoch at its next
successful contact with Redis: all entries go, including the one the lost invalidation was for.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from redis import Redis

from caching import keys, store
from caching.store import CacheUnavailable, Script

logger = logging.getLogger("caching")

# KEYS: generation keys. ARGV[1]: the entry's full base key; ARGV[2]: generation timeout (s);
# ARGV[3]: how many of the first KEYS make up the entry's key; ARGV[4]: index (1-based) from
# which on the KEYS are moved to their fresh tokens, 0 to move none; ARGV[5...]: a fresh token
# per key, used when the key is missing or moved.
# Returns {entry key, entry value (or false when something moved)}. Keys built inside a script
# are fine on a single Redis server (not on Redis Cluster, which this platform does not use).
_RESOLVE = Script(
    """
local key_size = tonumber(ARGV[3])
local move_from = tonumber(ARGV[4])
local tokens = {}
for i, key in ipairs(KEYS) do
  local token = false
  if move_from == 0 or i < move_from then token = redis.call('GET', key) end
  if not token then
    token = ARGV[i + 4]
    redis.call('SET', key, token, 'EX', ARGV[2])
  end
  if i <= key_size then tokens[i] = token end
end
local entry = ARGV[1] .. '@' .. redis.sha1hex(table.concat(tokens, ','))
if move_from > 0 then return {entry, false} end
return {entry, redis.call('GET', entry)}
"""
)

# KEYS: generation keys to move. ARGV[1]: timeout (s); ARGV[2...]: a fresh token per key.
_MOVE = Script(
    """
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[i + 1], 'EX', ARGV[1])
end
return #KEYS
"""
)


class _PendingEpoch:
    """An invalidation this process could not deliver; cleared once the epoch has moved."""

    def __init__(self) -> None:
        self._pending = False
        self._lock = threading.Lock()

    def set(self) -> None:
        with self._lock:
            if not self._pending:
                logger.warning("an invalidation could not reach Redis; the epoch moves on recovery")
            self._pending = True

    def deliver(self, client: Redis) -> None:
        if not self._pending:
            return
        with self._lock:
            if self._pending:
                _MOVE(client, [store.full_key(keys.epoch_key())], [_timeout(), _token()])
                self._pending = False
                logger.warning("moved the cache epoch: every cached entry is now a miss")

    def is_set(self) -> bool:
        return self._pending


PENDING_EPOCH = _PendingEpoch()


def _token() -> str:
    return secrets.token_hex(8)


def _timeout() -> int:
    return int(settings.CACHE_GENERATION_TIMEOUT)


def resolve(base: str, generations: Sequence[str]) -> tuple[str, Any]:
    """The full key of the entry for the current generations, and its decoded value (or None)."""
    full = store.key_maker()
    full_generations = [full(key) for key in generations]
    tokens = [_token() for _ in generations]
    args = [full(base), _timeout(), len(generations), 0, *tokens]

    def command(client: Redis) -> Any:
        PENDING_EPOCH.deliver(client)
        return _RESOLVE(client, full_generations, args)

    entry_key, raw = store.run("resolve", command)
    return _text(entry_key), store.decode(raw)


def move_and_resolve(base: str, generations: Sequence[str], also_moved: Sequence[str] = ()) -> str:
    """Moves the last of the entry's generations (the entity's own) and `also_moved` (the lists
    it appears in), in one atomic step, and returns the entry's key under the new token: where
    a write-through stores the representation it renders next."""
    every = [*generations, *also_moved]
    args = [
        store.full_key(base),
        _timeout(),
        len(generations),
        len(generations),
        *(_token() for _ in every),
    ]
    full_generations = [store.full_key(key) for key in every]

    def command(client: Redis) -> Any:
        PENDING_EPOCH.deliver(client)
        return _RESOLVE(client, full_generations, args)

    entry_key, _ = store.run("resolve", command)
    return _text(entry_key)


def move(generations: Sequence[str]) -> None:
    """Moves generations to new tokens; raises CacheUnavailable when Redis cannot be reached."""
    if not generations:
        return
    full_generations = [store.full_key(key) for key in generations]
    args = [_timeout(), *(_token() for _ in generations)]

    def command(client: Redis) -> Any:
        PENDING_EPOCH.deliver(client)
        return _MOVE(client, full_generations, args)

    store.run("invalidate", command)


def move_or_remember(generations: Sequence[str]) -> None:
    """Moves generations; when Redis cannot be reached, remembers to move the epoch instead."""
    try:
        move(generations)
    except CacheUnavailable:
        if store.uses_redis():
            PENDING_EPOCH.set()


def move_epoch() -> None:
    move([keys.epoch_key()])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
