"""The task reads' answers to a cache hit before DRF's dispatch (caching/fast_path.py): the
stored bytes, once this module has checked what the ordinary path (caching/reads.py) would."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse

from caching.aside import count_hit
from caching.fast_path import PlainRequest
from caching.round_trip import RoundTrip
from caching.stored import StoredResponse
from tasks.queries import task_version


def task_list_hit(stored: StoredResponse) -> HttpResponse:
    count_hit("task_list")
    return stored.response()


def task_detail_hit(
    request: PlainRequest, trip: RoundTrip, stored: StoredResponse, *, task_id: int
) -> HttpResponse | None:
    """The stored task when PostgreSQL says the reader may see it at no newer version; None
    (the ordinary path: its 404, its refill) otherwise."""
    if settings.WRITEBEHIND_ENABLED and not trip.view_recorded:
        return None  # the ordinary path counts the view
    try:
        # Only the user's id is read: the lazy user is not built.
        version = task_version(user=request.user, task_id=task_id)
    except Http404:
        return None
    stored_version = stored.meta.get("version")
    if not isinstance(stored_version, int) or stored_version < version:
        return None
    count_hit("task_detail")
    return stored.response()
