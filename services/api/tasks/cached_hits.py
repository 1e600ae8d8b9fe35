"""The task reads' answers to a cache hit before DRF's dispatch (caching/fast_path.py): the
stored bytes, once this module has checked what the ordinary path (caching/reads.py) would."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse

from caching.answers import list_hit
from caching.aside import count_hit
from caching.fast_path import PlainRequest, principal_sees
from caching.round_trip import RoundTrip
from caching.stored import StoredResponse


def task_list_hit(stored: StoredResponse) -> HttpResponse:
    return list_hit("task_list", stored)


def task_detail_hit(
    request: PlainRequest, trip: RoundTrip, stored: StoredResponse
) -> HttpResponse | None:
    """The stored task when the reader's cached principal lists the task's workspace; None (the
    ordinary path: its 404, its refill) otherwise. No query: the entry was read under the task's
    current generation, which every change of the task moves (a command, a cascade from its
    project or workspace, an admin edit: tasks/write_through.py, tasks/receivers.py), and the
    principal under the user's, which every membership change moves."""
    if settings.WRITEBEHIND_ENABLED and not trip.view_recorded:
        return None  # the ordinary path counts the view
    if not principal_sees(request, stored):
        return None
    count_hit("task_detail")
    return stored.response()
