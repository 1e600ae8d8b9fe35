"""A cached authenticated read in one Redis round trip: one Lua script checks and counts the
caller's throttles, reads the caller's principal, resolves the generation tokens and reads the
entry. Before, the same read cost three to five round trips (principal, throttles, generations
and entry, write-behind), which with the RESP parsing around them was about half of its CPU
(docs/profiles/).

The script does, in order, what the separate steps did, with the same semantics:

1. the principal entry under its generations (epoch, gen:user:<id>). Missing, of another
   shape or corrupt: the script stops there, having counted nothing, and the request takes the
   ordinary path (which computes the principal from PostgreSQL and stores it);
2. the principal's `requirements` (principals.py: the account is active, ...). Not met: the
   script stops, having counted nothing; authentication refuses the request as it always did;
3. every throttle bucket, each the sliding window of core/throttling.py, checked and counted
   atomically (the script runs atomically as a whole);
4. the entry under its generations, its key completed with a field of the principal (the
   reader's visibility digest) and its generations with one per visible workspace when the
   read depends on all of them;
5. a write-behind view of the entry's object, when every throttle allowed the request and the
   entry's workspace is one the principal sees.

Generation keys that are missing get a fresh token, as in generations.py; the token is the
request's nonce (a random prefix drawn once per process and a counter), so a hit draws no
random numbers. Keys built inside a script are fine on a single Redis server (not on Redis
Cluster, which this platform does not use).
"""

from __future__ import annotations

import itertools
import os
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from redis import Redis

from caching import keys, principals, store
from caching.generations import PENDING_EPOCH
from caching.store import Script
from core.throttling import Bucket

_SCRIPT = Script(
    """
local plan = cjson.decode(ARGV[1])
local minted = 0
local function token_of(key)
  local token = redis.call('GET', key)
  if not token then
    minted = minted + 1
    token = plan.nonce .. '.' .. minted
    redis.call('SET', key, token, 'EX', plan.generation_timeout)
  end
  return token
end
local function resolve(base, generations)
  local tokens = {}
  for i, key in ipairs(generations) do tokens[i] = token_of(key) end
  local entry = base .. '@' .. redis.sha1hex(table.concat(tokens, ','))
  return entry, redis.call('GET', entry)
end

local p = plan.principal
local principal_key, principal_raw = resolve(p.base, p.generations)
if (not principal_raw) or string.sub(principal_raw, 1, #p.marker) ~= p.marker then
  return {principal_key, false}
end
local decoded, principal = pcall(cjson.decode, string.sub(principal_raw, #p.marker + 1))
if not decoded or type(principal) ~= 'table' then return {principal_key, false} end
for name, wanted in pairs(p.requirements) do
  if principal[name] ~= wanted then return {principal_key, principal_raw} end
end

local verdicts = {}
local all_allowed = true
for i, t in ipairs(plan.throttles) do
  redis.call('ZREMRANGEBYSCORE', t.key, '-inf', plan.now - t.window)
  if redis.call('ZCARD', t.key) < t.limit then
    redis.call('ZADD', t.key, plan.now, plan.nonce .. '.t' .. i)
    redis.call('PEXPIRE', t.key, t.window)
    verdicts[i] = {1, 0}
  else
    -- A limit of 0 leaves the set empty: the whole window is the wait.
    local oldest = redis.call('ZRANGE', t.key, 0, 0, 'WITHSCORES')
    local since = oldest[2] and tonumber(oldest[2]) or plan.now
    verdicts[i] = {0, since + t.window - plan.now}
    all_allowed = false
  end
end

local e = plan.entry
local base = e.base_head
if e.scope ~= '' then base = base .. principal[e.scope] end
base = base .. e.base_tail
local generations = {}
for _, key in ipairs(e.generations) do generations[#generations + 1] = key end
if e.per_workspace ~= '' then
  for _, w in ipairs(principal.workspaces) do
    generations[#generations + 1] = e.per_workspace .. string.format('%d', w)
  end
end
local entry_key, entry_raw = resolve(base, generations)

local v = plan.view
if v and all_allowed and entry_raw and string.sub(entry_raw, 1, #v.marker) == v.marker then
  local stop = string.find(entry_raw, '\\n', #v.marker + 1, true)
  local decoded, meta = false, nil
  if stop then
    decoded, meta = pcall(cjson.decode, string.sub(entry_raw, #v.marker + 1, stop - 1))
  end
  local visible = false
  if decoded and type(meta) == 'table' and meta.workspace then
    for _, w in ipairs(principal.workspaces) do
      if w == meta.workspace then visible = true end
    end
  end
  if visible then
    redis.call('HINCRBY', v.buffer, 'n:' .. v.id, 1)
    local last = redis.call('HGET', v.buffer, 't:' .. v.id)
    if (not last) or tonumber(last) < plan.now then
      redis.call('HSET', v.buffer, 't:' .. v.id, plan.now)
    end
    return {principal_key, principal_raw, verdicts, entry_key, entry_raw, 1}
  end
end
return {principal_key, principal_raw, verdicts, entry_key, entry_raw, 0}
"""
)

_process_nonce = secrets.token_hex(6)
_COUNTER = itertools.count()


def _draw_process_nonce() -> None:
    global _process_nonce
    _process_nonce = secrets.token_hex(6)


# A forked worker must not share its parent's prefix (Gunicorn preloads the app, then forks).
os.register_at_fork(after_in_child=_draw_process_nonce)


def _nonce() -> str:
    """Unique per request without drawing random numbers: a random prefix per process (drawn
    again after a fork) and a counter."""
    return f"{_process_nonce}{next(_COUNTER):x}"


@dataclass(frozen=True, slots=True)
class EntryPlan:
    """Where the read's entry lives: `head` + the principal's `scope` field (or nothing) + `tail`,
    under the epoch, `generations` and, with `per_workspace`, one generation per workspace the
    principal sees (that prefix plus the workspace id). Keys are relative, as in keys.py."""

    head: str
    tail: str = ""
    scope: str = ""
    generations: Sequence[str] = ()
    per_workspace: str = ""
    # A write-behind view of the object with this id, recorded in this raw Redis hash.
    view: tuple[str, int] | None = None

    def generations_for(self, workspaces: Iterable[int]) -> list[str]:
        """The entry's generations as the script lists them (the epoch aside), for a reader who
        sees `workspaces`: what the ordinary path resolves when no round trip read the entry."""
        per_workspace = (
            [f"{self.per_workspace}{w}" for w in sorted(workspaces)] if self.per_workspace else []
        )
        return [*self.generations, *per_workspace]


@dataclass(slots=True)
class RoundTrip:
    """What the script answered. `principal` is None when it was missing (nothing else was
    read or counted); `entry_key` is None when the script stopped at the principal."""

    principal: bytes | None
    verdicts: dict[str, tuple[bool, float]] = field(default_factory=dict)
    entry_key: str | None = None
    entry: bytes | None = None
    view_recorded: bool = False
    # The validated access token the round trip was made for and its user (caching/views.py).
    token: Any = None
    user_id: int | None = None

    def verdict(self, bucket_key: str) -> tuple[bool, float] | None:
        return self.verdicts.get(bucket_key)


def run(
    *,
    user_id: int,
    throttles: Sequence[Bucket],
    entry: EntryPlan,
    requirements: dict[str, Any] | None = None,
) -> RoundTrip | None:
    """One round trip; None when it cannot be made (Redis skipped or failing: the caller takes
    the ordinary path, which falls back to PostgreSQL, or an invalidation this process owes)."""
    if PENDING_EPOCH.is_set():
        return None
    full = store.key_maker()
    now = int(time.time() * 1000)
    plan: dict[str, Any] = {
        "now": now,
        "nonce": _nonce(),
        "generation_timeout": int(settings.CACHE_GENERATION_TIMEOUT),
        "principal": {
            "base": full(keys.principal_key(user_id)),
            "generations": [full(keys.epoch_key()), full(keys.user_generation_key(user_id))],
            "marker": principals.MARKER.decode(),
            "requirements": requirements or principals.requirements(),
        },
        "throttles": [{"key": b.key, "window": b.window_ms, "limit": b.limit} for b in throttles],
        "entry": {
            "base_head": full(entry.head),
            "base_tail": entry.tail,
            "scope": entry.scope,
            "generations": [full(keys.epoch_key()), *(full(g) for g in entry.generations)],
            "per_workspace": full(entry.per_workspace) if entry.per_workspace else "",
        },
    }
    if entry.view is not None:
        from caching.stored import MARKER

        plan["view"] = {"buffer": entry.view[0], "id": entry.view[1], "marker": MARKER.decode()}
    argument = orjson.dumps(plan)

    def command(client: Redis) -> Any:
        return _SCRIPT(client, [], [argument])

    try:
        answer = store.run("round_trip", command)
    except store.CacheUnavailable:
        return None
    if not answer[1]:
        return RoundTrip(principal=None)
    result = RoundTrip(principal=bytes(answer[1]))
    if len(answer) < 3:
        return result  # the principal's requirements are not met: nothing counted
    result.verdicts = {
        bucket.key: (bool(allowed), int(retry_ms) / 1000)
        for bucket, (allowed, retry_ms) in zip(throttles, answer[2], strict=True)
    }
    result.entry_key = answer[3].decode() if isinstance(answer[3], bytes) else str(answer[3])
    result.entry = bytes(answer[4]) if answer[4] else None
    result.view_recorded = bool(answer[5])
    return result
