"""The cached reads of tasks: what each GET endpoint's entry depends on, and its answer.

Every cached read first establishes who the user is in which workspace: from the user's cached
principal (accounts/principals.py, invalidated by every membership change); the ordinary path of
a task detail also asks PostgreSQL whether the user may see it and at which version (one query),
while a hit answered before DRF's dispatch trusts the task's generation and the principal's
workspaces instead (tasks/cached_hits.py). The shared entries hold
only what is the same for everybody who may see them. A view passes `render`, which reads
PostgreSQL and serializes exactly as an uncached view would; it runs only on a miss.

Task and list entries hold the answer's bytes (caching/stored.py): a hit sends them as they are.
The task list and the task detail are read in one Redis round trip together with the caller's
principal and throttles (caching/round_trip.py); `*_plan` says which entry that trip reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from rest_framework.request import Request

from caching.answers import Answer, Render, list_from_round_trip
from caching.answers import cached_list as _list
from caching.answers import id_param as _id
from caching.answers import page_url as _page_url
from caching.answers import query_of as _query
from caching.aside import cached, count_hit, fill
from caching.http import if_none_match, not_modified
from caching.round_trip import EntryPlan
from caching.stored import StoredResponse
from caching.views import round_trip_of
from caching.writebehind import record_view
from core.conditional import etag_for_version
from tasks import cache_keys as keys
from tasks import representations
from tasks.queries import task_version
from workspaces.cache_keys import (
    WORKSPACE_TASKS_GENERATION_PREFIX,
    project_tasks_generation_key,
    workspace_tasks_generation_key,
)
from workspaces.reads import workspace_roles


def task_detail_plan(request: Request, *, task_id: int) -> EntryPlan:
    view = (keys.task_views_buffer_key(), task_id) if settings.WRITEBEHIND_ENABLED else None
    return EntryPlan(
        head=keys.task_detail_key(task_id),
        generations=[keys.task_generation_key(task_id)],
        view=view,
    )


def task_detail(request: Request, *, task_id: int, render: Render) -> Answer:
    """A task: 404 unless visible, 304 when If-None-Match names its version, else the cached
    representation of that version. Every answer but the 404 counts as a view (write-behind).

    PostgreSQL stays the authority on whether the task exists, for this user, at which version
    (one indexed query): a task can disappear with its project or workspace in a cascade that
    moves no generation of the task itself."""
    version = task_version(user=request.user, task_id=task_id)
    trip = round_trip_of(request)
    if trip is None or not trip.view_recorded:
        record_view(task_id)
    etag = etag_for_version(version)
    if if_none_match(request, etag):
        return not_modified(etag)
    if trip is not None:
        # An invariant (round_trip_of checks it), stated for the type checker.
        assert trip.entry_key is not None  # noqa: S101  # nosec B101
        stored = StoredResponse.unpack(trip.entry)
        if stored is not None and _version_of(stored) >= version:
            count_hit("task_detail")
            return stored.response()
        return _task_response(
            fill(
                cache="task_detail",
                entry_key=trip.entry_key,
                compute=lambda: representations.task_entry(render()),
                fresh=_at_least(version),
            )
        )
    return _task_at_least(task_id, version, render)


def task_after_write(*, task_id: int, version: int, render: Render) -> Answer:
    """The answer to a write of a task, at `version` or newer: the entry write-through stored
    after the commit (a hit, no query), or rendered when the cache could not hold it. Not a view
    of the task: nothing is counted for write-behind."""
    return _task_at_least(task_id, version, render)


def _task_at_least(task_id: int, version: int, render: Render) -> Answer:
    """The cached representation of the task at `version` or newer, with its version as ETag.

    Never older than the version asked for: the generations already ensure it, and the check
    costs nothing. Newer is fine (a write committed meanwhile); the ETag then names the version
    actually answered."""
    entry = cached(
        cache="task_detail",
        base=keys.task_detail_key(task_id),
        generations=[keys.task_generation_key(task_id)],
        compute=lambda: representations.task_entry(render()),
        fresh=_at_least(version),
    )
    return _task_response(entry)


def _version_of(stored: StoredResponse) -> int:
    version = stored.meta.get("version")
    return version if isinstance(version, int) else -1


def _at_least(version: int) -> Callable[[Any], bool]:
    def fresh(raw: Any) -> bool:
        stored = StoredResponse.unpack(raw)
        return stored is not None and _version_of(stored) >= version

    return fresh


def _task_response(raw: Any) -> HttpResponse:
    stored = StoredResponse.unpack(raw)
    # An invariant (computed or accepted by `fresh`), stated for the type checker.
    assert stored is not None  # noqa: S101  # nosec B101
    return stored.response()


def task_list_plan(request: Request) -> EntryPlan:
    """The list's entry for the round trip: keyed by the reader's visibility digest, which the
    round trip takes from the cached principal."""
    project, workspace = _filters(request)
    tail = keys.task_list_key_tail(query=_query(request), url=_page_url(request))
    if project is not None:
        generations = [project_tasks_generation_key(project)]
    elif workspace is not None:
        generations = [workspace_tasks_generation_key(workspace)]
    else:
        return EntryPlan(
            head=keys.TASK_LIST_PREFIX,
            tail=tail,
            scope="visibility",
            per_workspace=WORKSPACE_TASKS_GENERATION_PREFIX,
        )
    return EntryPlan(
        head=keys.TASK_LIST_PREFIX, tail=tail, scope="visibility", generations=generations
    )


def task_list(request: Request, *, render: Render) -> Answer:
    """Tasks: `?project=` lists depend on that project's tasks only, `?workspace=` lists on that
    workspace's, other lists on the tasks of every workspace the user belongs to."""
    answered = list_from_round_trip(request, cache="task_list", render=render)
    if answered is not None:
        return answered
    roles = workspace_roles(request.user)
    base = keys.task_list_key(
        visible_workspaces=roles, query=_query(request), url=_page_url(request)
    )
    generations = task_list_plan(request).generations_for(roles)
    return _list(request, cache="task_list", base=base, generations=generations, render=render)


def _filters(request: Request) -> tuple[int | None, int | None]:
    params = request.query_params
    return _id(params.get("project")), _id(params.get("workspace"))
