"""The cache keys every cached read shares, each from one named function (docs/caching.md lists
them all); the keys of each domain app's entries live in that app's cache_keys.py.

Keys of the read cache are relative: the Django cache adds CACHE_KEY_PREFIX and CACHE_VERSION
(`taskboard:1:task:42`). A cached entry is stored under its base key plus a digest of the current
tokens of the generations it depends on (`task:42@<sha1>`), so invalidating is moving a
generation to a new random token: the old entries become unreachable and expire on their own.

What affects an answer is part of its key: list keys hold the user's visible workspaces (and, for
the workspace list, the user's role in each), the normalised query string and the absolute URL
the pagination links are built from. Two users with the same memberships share entries, because
their answers are the same; users with different memberships never do.

The write-behind buffers are raw Redis keys with the prefix but without the version: moving
CACHE_VERSION to drop the read cache must not orphan buffered writes.
"""

import hashlib
from collections.abc import Iterable

from django.conf import settings

# Moves when the shape of a cached value changes, so a deploy never reads the old shape.
SCHEMA = "2"

# --- entries ---------------------------------------------------------------------------------
# The keys of each domain app's entries and generations live in that app (tasks/cache_keys.py,
# workspaces/cache_keys.py), built with `digest` and `visibility_digest` from here.


def visibility_digest(workspace_ids: Iterable[int]) -> str:
    """Names the set of workspaces a reader sees; readers with the same set share list entries."""
    return digest("visible", sorted(workspace_ids))[:24]


def principal_key(user_id: int) -> str:
    """The user row (without the password hash) and the user's role in each workspace."""
    return f"principal:{user_id}"


def normalised_query(lists: Iterable[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """The query string as sorted (name, values) pairs. Values keep their order (the last one
    wins for a single-valued filter) and nothing is dropped: `?cursor=` with an empty value
    selects another pagination than no cursor at all."""
    return sorted((name, list(values)) for name, values in lists)


# --- generations -----------------------------------------------------------------------------


def epoch_key() -> str:
    """The generation every entry depends on: moving it empties the whole read cache at once
    (manage.py cache_clear, or a process that could not reach Redis to invalidate)."""
    return "gen:epoch"


def user_generation_key(user_id: int) -> str:
    """Moves whenever the user row or one of the user's memberships changes."""
    return f"gen:user:{user_id}"


# --- stampede protection ---------------------------------------------------------------------


def lock_key(entry_key: str) -> str:
    return f"lock:{entry_key}"


# --- write-behind (raw Redis keys: prefix, no version) ---------------------------------------


def writebehind_buffer_key(name: str) -> str:
    """A hash of `n:<id>` (counts since the last flush) and `t:<id>` (last time, ms)."""
    return f"{settings.CACHE_KEY_PREFIX}:writebehind:{name}"


def writebehind_flushing_key(name: str) -> str:
    """The buffer renamed away by the flusher while it writes it to PostgreSQL."""
    return f"{writebehind_buffer_key(name)}:flushing"


def writebehind_flushing_batch_key(name: str) -> str:
    """The id of the batch in the flushing key, recorded with every chunk written to PostgreSQL
    so that a flusher that died after committing never applies the same chunk twice."""
    return f"{writebehind_flushing_key(name)}:batch"


# --- families, for operators (manage.py cache_clear --delete) ---------------------------------

# Each domain app registers the families of its entries (register_family) when it is imported.
FAMILIES = {
    "generations": "gen:*",
    "locks": "lock:*",
}


def register_family(name: str, pattern: str) -> None:
    FAMILIES[name] = pattern


def digest(*parts: object) -> str:
    """A digest of everything that affects an answer, with the schema of cached values."""
    return hashlib.sha256(repr((SCHEMA, *parts)).encode()).hexdigest()[:40]
