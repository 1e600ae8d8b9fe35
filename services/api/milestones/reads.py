"""The cached milestone list: its keys, what it depends on, and what invalidates it.

`GET /api/v1/milestones/?project=<id>` is cache-aside (docs/caching.md): the entry is the rendered
page, keyed by the reader's visible workspaces (from the cached principal), the query string and
the page URL, and it depends on one generation, the milestones of that project. Every change to a
milestone of the project moves that generation: the milestone commands call `milestones_changed`,
receivers.py does for changes made outside them (the admin, a cascade, a bulk tool).

A hit costs one Redis round trip, made with the caller's principal and throttles, and is answered
before DRF's dispatch (caching/fast_path.py): `milestone_list_plan` names the entry, and the
script builds its key from the principal's `visibility`, the same key `milestone_list_key` builds
here when no round trip read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rest_framework.request import Request

from caching import keys
from caching.answers import (
    Answer,
    Render,
    cached_list,
    id_param,
    list_from_round_trip,
    page_url,
    query_of,
)
from caching.invalidation import after_write
from caching.round_trip import EntryPlan
from caching.stored import from_data
from workspaces.reads import workspace_roles

CACHE = "milestone_list"  # its timeout in CACHE_TIMEOUTS, its `cache` label in the metrics
LIST_PREFIX = "milestones:list:"


def milestone_list_key(
    *, visible_workspaces: Iterable[int], query: Sequence[tuple[str, list[str]]], url: str
) -> str:
    """Readers with the same visible workspaces share the entry: their answers are the same."""
    visibility = keys.visibility_digest(visible_workspaces)
    return f"{LIST_PREFIX}{visibility}{_key_tail(query=query, url=url)}"


def _key_tail(*, query: Sequence[tuple[str, list[str]]], url: str) -> str:
    return f":{keys.digest('milestones', query, url)}"


def project_milestones_generation_key(project_id: int) -> str:
    """Moves whenever a milestone of the project is created, changed or deleted, and whenever
    the project itself is saved or deleted."""
    return f"gen:project-milestones:{project_id}"


def milestone_list_plan(request: Request) -> EntryPlan | None:
    """The list's entry for the round trip (the same key and generation as `milestone_list`
    builds), or None without a usable `?project=`: nothing is cached then."""
    project = id_param(request.query_params.get("project"))
    if project is None:
        return None
    return EntryPlan(
        head=LIST_PREFIX,
        tail=_key_tail(query=query_of(request), url=page_url(request)),
        scope="visibility",  # the principal's digest of the workspaces it sees
        generations=[project_milestones_generation_key(project)],
    )


def milestone_list(request: Request, *, render: Render) -> Answer:
    """The page of `?project=` milestones; `render` (the uncached view) runs only on a miss."""
    plan = milestone_list_plan(request)
    if plan is None:
        # Missing or malformed: the filter answers it (400), nothing to cache.
        return from_data(render()).response()
    answered = list_from_round_trip(request, cache=CACHE, render=render)
    if answered is not None:
        return answered
    # No round trip read it (Redis skipped by the breaker, or no cached principal yet).
    base = milestone_list_key(
        visible_workspaces=workspace_roles(request.user),
        query=query_of(request),
        url=page_url(request),
    )
    return cached_list(request, cache=CACHE, base=base, generations=plan.generations, render=render)


def milestones_changed(*, project_ids: Iterable[int]) -> None:
    """Invalidates the milestone lists of these projects: at once, and again after the commit
    (caching/invalidation.py says why both)."""
    after_write([project_milestones_generation_key(p) for p in sorted(set(project_ids))])
