"""Answers of cached reads, whatever they read: stored bytes (caching/stored.py), each with its
ETag and a 304 for a matching If-None-Match; and the parts of a request that go into a list's
key. The domain apps' reads.py use them with their own keys and generations.

A list whose view reads it in the one round trip (caching/round_trip.py, a `read_plan`) is
answered from what that trip read (`list_from_round_trip`), or before DRF's dispatch on a hit
(`list_hit`, caching/fast_path.py). A detail's entry is the one its trip read (`cached_entry`);
its app checks who may see it, and answers a hit before DRF's dispatch the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response

from caching import keys, store
from caching.aside import cached, count_hit, fill, found
from caching.http import if_none_match, not_modified
from caching.round_trip import EntryPlan
from caching.stored import StoredResponse, from_data
from caching.views import round_trip_of

Render = Callable[[], Any]
Answer = Response | HttpResponse


def is_stored(raw: Any) -> bool:
    return StoredResponse.unpack(raw) is not None


def answer(request: Request, stored: StoredResponse) -> HttpResponse:
    if if_none_match(request, stored.etag):
        return not_modified(stored.etag)
    return stored.response()


def cached_list(
    request: Request, *, cache: str, base: str, generations: Sequence[str], render: Render
) -> Answer:
    raw = cached(
        cache=cache,
        base=base,
        generations=generations,
        compute=lambda: from_data(render()).pack(),
        fresh=is_stored,
    )
    stored = StoredResponse.unpack(raw)
    # An invariant (computed or accepted by `fresh`), stated for the type checker.
    assert stored is not None  # noqa: S101  # nosec B101
    return answer(request, stored)


def list_from_round_trip(request: Request, *, cache: str, render: Render) -> Answer | None:
    """The list's answer from the entry the request's round trip read (computed under stampede
    protection when it was missing or of another shape), or None when no round trip read it."""
    trip = round_trip_of(request)
    if trip is None:
        return None
    # An invariant (round_trip_of checks it), stated for the type checker.
    assert trip.entry_key is not None  # noqa: S101  # nosec B101
    stored = StoredResponse.unpack(trip.entry)
    if stored is not None:
        count_hit(cache)
    else:
        stored = StoredResponse.unpack(
            fill(
                cache=cache,
                entry_key=trip.entry_key,
                compute=lambda: from_data(render()).pack(),
                fresh=is_stored,
            )
        )
        # An invariant (computed or accepted by `fresh`), stated for the type checker.
        assert stored is not None  # noqa: S101  # nosec B101
    return answer(request, stored)


def list_hit(cache: str, stored: StoredResponse) -> HttpResponse:
    """A list's hit answered before DRF's dispatch: the stored bytes, counted."""
    count_hit(cache)
    return stored.response()


def cached_entry(
    request: Request,
    *,
    cache: str,
    plan: EntryPlan,
    compute: Callable[[], Any],
    fresh: Callable[[Any], bool],
) -> Any:
    """A detail's entry (its app makes the reader's answer of it): the one the request's round
    trip read, or computed under stampede protection when it was missing or not `fresh`;
    `aside.cached` under the plan's key when no round trip read it."""
    trip = round_trip_of(request)
    if trip is None:
        return cached(
            cache=cache, base=plan.head, generations=plan.generations, compute=compute, fresh=fresh
        )
    # An invariant (round_trip_of checks it), stated for the type checker.
    assert trip.entry_key is not None  # noqa: S101  # nosec B101
    return found(
        cache=cache,
        entry_key=trip.entry_key,
        value=store.decode(trip.entry),
        compute=compute,
        fresh=fresh,
    )


def id_param(value: str | None) -> int | None:
    """A filter's id when it is one; anything else is left to the filter to refuse."""
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def query_of(request: Request) -> list[tuple[str, list[str]]]:
    return keys.normalised_query(request.query_params.lists())


def page_url(request: Request) -> str:
    """What the pagination's absolute `next`/`previous` links are built from, besides the query."""
    return f"{request.scheme}://{request.get_host()}{request.path}"
