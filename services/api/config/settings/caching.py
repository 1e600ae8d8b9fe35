"""Caching: which reads are cached and for how long, stampede protection, the breaker that skips
an unreachable Redis, and the write-behind flusher (docs/caching.md explains each).

The Redis connection itself (URL, prefix, version, pool, timeouts) is in config/settings/cache.py.
"""

from .core import INSTALLED_APPS
from .env import env

# The app list is core.py's; this concern registers its own app where its settings live, in place,
# so that the order in which base.py imports the concern modules does not matter.
if "caching" not in INSTALLED_APPS:
    INSTALLED_APPS.append("caching")

# Off: every read goes to PostgreSQL (the benchmark's baseline). Invalidation keeps running, so
# turning caching back on never serves an entry that missed a write meanwhile.
CACHE_ENABLED = env.bool("CACHE_ENABLED", default=True)

# Seconds an entry lives. Entries are invalidated explicitly on every write; the timeout only
# bounds memory and the life of an entry whose invalidation could not reach Redis.
CACHE_TIMEOUTS = {
    "task_detail": env.int("CACHE_TIMEOUT_TASK_DETAIL", default=300),
    "task_list": env.int("CACHE_TIMEOUT_TASK_LIST", default=120),
    "project_detail": env.int("CACHE_TIMEOUT_PROJECT_DETAIL", default=600),
    "project_list": env.int("CACHE_TIMEOUT_PROJECT_LIST", default=300),
    "workspace_detail": env.int("CACHE_TIMEOUT_WORKSPACE_DETAIL", default=600),
    "workspace_list": env.int("CACHE_TIMEOUT_WORKSPACE_LIST", default=300),
    "milestone_list": env.int("CACHE_TIMEOUT_MILESTONE_LIST", default=300),
    # The bound on a lost invalidation of who the caller is (a worker that could not reach Redis
    # died with the invalidation it remembered): a removed member is refused within this.
    "principal": env.int("CACHE_TIMEOUT_PRINCIPAL", default=30),
}
# Generation tokens outlive every entry that depends on them; an expired token is replaced by a
# fresh random one, which only turns the entries that depended on it into misses.
CACHE_GENERATION_TIMEOUT = env.int("CACHE_GENERATION_TIMEOUT", default=86400)

# Stampede protection: one request recomputes a missing entry while holding a lock for at most
# LOCK seconds; the others poll for its result for at most WAIT seconds, then compute themselves.
CACHE_STAMPEDE_LOCK_SECONDS = env.float("CACHE_STAMPEDE_LOCK_SECONDS", default=5.0)
CACHE_STAMPEDE_WAIT_SECONDS = env.float("CACHE_STAMPEDE_WAIT_SECONDS", default=1.0)

# After a Redis error a process skips Redis for this long instead of paying a timeout on every
# request, then tries again: the API recovers by itself when Redis returns.
CACHE_BREAKER_SECONDS = env.float("CACHE_BREAKER_SECONDS", default=5.0)

# Write-behind of task views (manage.py flush_writebehind).
WRITEBEHIND_ENABLED = env.bool("WRITEBEHIND_ENABLED", default=True)
WRITEBEHIND_FLUSH_SECONDS = env.float("WRITEBEHIND_FLUSH_SECONDS", default=5.0)
WRITEBEHIND_BATCH_SIZE = env.int("WRITEBEHIND_BATCH_SIZE", default=500)
# Tasks whose views the Redis buffer holds at most: while the flusher is down, views of further
# tasks are dropped (writebehind_dropped_total) instead of growing the buffer without bound.
WRITEBEHIND_MAX_BUFFERED_TASKS = env.int("WRITEBEHIND_MAX_BUFFERED_TASKS", default=100_000)
