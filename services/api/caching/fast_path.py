"""A cached read answered before DRF's dispatch: no DRF Request, authentication, permission or
throttle objects, content negotiation or renderer on a hit.

After the one round trip and the stored bytes, what was left of a hit's CPU was DRF's dispatch
around them (building the Request, running the authentication, permission and throttle classes,
negotiating, finalizing; authentication alone about two thirds of it, docs/profiles/). Here the
view makes the same round trip on Django's request, and when it answered everything the request
asks, the view's `fast_answer` answers from the stored bytes; DRF's `finalize_response` adds the
headers the ordinary path adds, so both answer byte for byte the same.

Anything else takes DRF's dispatch unchanged, with the round trip already made (it is never
made or counted twice): no usable token, a principal missing or not meeting the token's
requirements, a throttle refusing, an entry missing or of another shape, a conditional request,
an Accept header or `?format=` that needs DRF's negotiation, a permission refusing, or a
`fast_answer` that declines (say, a task it cannot vouch for). Errors are therefore always the
ordinary path's, in its envelope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.settings import api_settings

from caching import principals
from caching.answers import list_hit
from caching.lazy_user import PrincipalUser
from caching.metrics import CACHE_REQUESTS
from caching.round_trip import EntryPlan, RoundTrip
from caching.stored import StoredResponse
from caching.views import ROUND_TRIP_MADE, RoundTripReadMixin, round_trip_for
from core.throttling import ROUND_TRIP_ATTRIBUTE

# Accept values DRF's negotiation answers with the first (JSON) renderer without choosing.
_PLAIN_ACCEPTS = frozenset({"*/*", "application/json"})


class PlainRequest:
    """What read plans, throttle buckets, permissions and `fast_answer` read of a request, on
    Django's request: DRF's `query_params` is its GET."""

    def __init__(self, request: HttpRequest, user: Any = None) -> None:
        self._request = request
        self.user = user
        # The cached principal's payload the round trip read (caching/principals.py), on a hit.
        self.principal: dict[str, Any] = {}

    @property
    def query_params(self) -> Any:
        return self._request.GET

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)


def principal_sees(request: PlainRequest, stored: StoredResponse) -> bool:
    """Whether the entry's workspace (its metadata's `workspace`) is one of the workspaces the
    reader's cached principal sees: who may read a detail, without a query."""
    workspace = stored.meta.get("workspace")
    return isinstance(workspace, int) and workspace in request.principal.get("workspaces", ())


class FastReadMixin(RoundTripReadMixin):
    """For a viewset whose reads have a `read_plan`: `fast_answer` answers a hit, or None."""

    def fast_answer(
        self, request: PlainRequest, trip: RoundTrip, stored: StoredResponse
    ) -> HttpResponseBase | None:
        return None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = answer_before_dispatch(self, request)
        if response is not None:
            return response
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class FastListMixin(FastReadMixin):
    """For a viewset whose list is read in the round trip and answered on a hit before DRF's
    dispatch: `list_plan(request)` names the list's entry (None: the request reads no entry,
    DRF's dispatch answers it), `list_cache` its cache name."""

    list_cache: str
    list_plan: Callable[[Any], EntryPlan | None]

    def read_plan(self, request: Any) -> EntryPlan | None:
        return self.list_plan(request) if getattr(self, "action", None) == "list" else None

    def fast_answer(
        self, request: PlainRequest, trip: RoundTrip, stored: StoredResponse
    ) -> HttpResponseBase | None:
        return (
            list_hit(self.list_cache, stored) if getattr(self, "action", None) == "list" else None
        )


def answer_before_dispatch(view: Any, request: HttpRequest) -> HttpResponseBase | None:
    if not _plain_get(request) or view.kwargs.get(api_settings.FORMAT_SUFFIX_KWARG):
        return None
    view.action = view.action_map.get("get")  # what DRF's initialize_request would set
    plain = PlainRequest(request)
    trip = round_trip_for(view, plain)
    setattr(request, ROUND_TRIP_MADE, True)
    if trip is None:
        return None
    # DRF's Request reads missing attributes from Django's: the ordinary path takes it over.
    setattr(request, ROUND_TRIP_ATTRIBUTE, trip)
    hit = _hit(trip)
    if hit is None:
        return None
    stored, plain.principal = hit
    assert trip.principal is not None and trip.user_id is not None  # noqa: S101  # nosec B101
    plain.user = PrincipalUser(trip.user_id, trip.principal)
    if not all(p.has_permission(plain, view) for p in view.get_permissions()):
        return None
    response = view.fast_answer(plain, trip, stored)
    if response is None:
        return None
    # As authentication would have: the request log names the user, the principal was a hit.
    request.user = plain.user
    CACHE_REQUESTS.labels(principals.CACHE, "hit").inc()
    view.headers = view.default_response_headers
    return view.finalize_response(request, response)


def _plain_get(request: HttpRequest) -> bool:
    """A GET whose answer needs no negotiation and no validator comparison."""
    return (
        request.method == "GET"
        and request.META.get("HTTP_ACCEPT", "*/*") in _PLAIN_ACCEPTS
        and api_settings.URL_FORMAT_OVERRIDE not in request.GET
        and "HTTP_IF_NONE_MATCH" not in request.META
    )


def _hit(trip: RoundTrip) -> tuple[StoredResponse, dict[str, Any]] | None:
    """The stored answer and the principal's payload when the round trip read a valid principal
    that met the token's requirements, every throttle allowed the request, and the entry is of
    the current shape."""
    if trip.entry_key is None:
        return None
    payload = principals.decode(trip.principal)
    if payload is None or not all(allowed for allowed, _ in trip.verdicts.values()):
        return None
    stored = StoredResponse.unpack(trip.entry)
    return None if stored is None else (stored, payload)
