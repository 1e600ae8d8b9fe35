"""The cached milestone list: its keys, what it depends on, and what invalidates it.

`GET /api/v1/milestones/?project=<id>` is cache-aside (docs/caching.md): the entry is the rendered
page, keyed by the reader's visible workspaces (from the cached principal), the query string and
the page URL, and it depends on one generation, the milestones of that project. Every change to a
milestone of the project moves that generation: the milestone commands call `milestones_changed`,
receivers.py does for changes made outside them (the admin, a cascade, a bulk tool).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from caching import keys
from caching.aside import cached
from caching.http import if_none_match, not_modified
from caching.invalidation import after_write
from caching.stored import StoredResponse, from_data
from workspaces.reads import workspace_roles

CACHE = "milestone_list"  # its timeout in CACHE_TIMEOUTS, its `cache` label in the metrics


def milestone_list_key(
    *, visible_workspaces: Iterable[int], query: Sequence[tuple[str, list[str]]], url: str
) -> str:
    """Readers with the same visible workspaces share the entry: their answers are the same."""
    digest = hashlib.sha256(repr((keys.SCHEMA, query, url)).encode()).hexdigest()[:40]
    return f"milestones:list:{keys.visibility_digest(visible_workspaces)}:{digest}"


def project_milestones_generation_key(project_id: int) -> str:
    """Moves whenever a milestone of the project is created, changed or deleted, and whenever
    the project itself is saved or deleted."""
    return f"gen:project-milestones:{project_id}"


def milestone_list(request: Request, *, render: Callable[[], Any]) -> HttpResponse:
    """The page of `?project=` milestones; `render` (the uncached view) runs only on a miss."""
    project = _id(request.query_params.get("project"))
    if project is None:
        # Missing or malformed: the filter answers it (400), nothing to cache.
        return from_data(render()).response()
    raw = cached(
        cache=CACHE,
        base=milestone_list_key(
            visible_workspaces=workspace_roles(request.user),
            query=keys.normalised_query(request.query_params.lists()),
            url=f"{request.scheme}://{request.get_host()}{request.path}",
        ),
        generations=[project_milestones_generation_key(project)],
        compute=lambda: from_data(render()).pack(),
        fresh=lambda value: StoredResponse.unpack(value) is not None,
    )
    stored = StoredResponse.unpack(raw)
    # An invariant (computed, or accepted by `fresh`), stated for the type checker.
    assert stored is not None  # noqa: S101  # nosec B101
    if if_none_match(request, stored.etag):
        return not_modified(stored.etag)
    return stored.response()


def milestones_changed(*, project_ids: Iterable[int]) -> None:
    """Invalidates the milestone lists of these projects: at once, and again after the commit
    (caching/invalidation.py says why both)."""
    after_write([project_milestones_generation_key(p) for p in sorted(set(project_ids))])


def _id(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return int(value)
