"""The DRF side of the one-round-trip read (caching/round_trip.py): before DRF authenticates,
checks permissions and throttles, a view that knows which entry it will read makes the one
round trip; authentication, the throttles and the read then take what it answered from the
request instead of asking Redis themselves.

Whatever the round trip cannot answer (no usable token: DRF's own 401; no principal cached yet;
Redis down or skipped) leaves the request on the ordinary path, unchanged.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request

from caching import principals, round_trip, store
from caching.round_trip import EntryPlan
from core.throttling import ROUND_TRIP_ATTRIBUTE, SharedRateThrottle

# Set on a request whose round trip was made (or tried) before DRF's dispatch.
ROUND_TRIP_MADE = "_round_trip_made"


class RoundTripReadMixin:
    """For a viewset: `read_plan()` names the entry of the request's action, or None."""

    def read_plan(self, request: Request) -> EntryPlan | None:
        return None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        make_round_trip(self, request)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def get_throttles(self) -> list[Any]:
        # The same instances for the round trip and for DRF's check (each parses its rate).
        throttles: list[Any] | None = getattr(self, "_throttles", None)
        if throttles is None:
            throttles = super().get_throttles()  # type: ignore[misc]
            self._throttles = throttles
        return throttles


def make_round_trip(view: Any, request: Request) -> None:
    if hasattr(request, ROUND_TRIP_MADE):
        return  # made before DRF's dispatch (caching/fast_path.py): never count twice
    result = round_trip_for(view, request)
    if result is not None:
        setattr(request, ROUND_TRIP_ATTRIBUTE, result)


def round_trip_for(view: Any, request: Any) -> round_trip.RoundTrip | None:
    """The round trip of the view's read plan, or None when the request cannot make one (the
    ordinary path then answers). `request` is DRF's or Django's: only headers, the query and the
    client address are read."""
    if not settings.CACHE_ENABLED or not store.uses_redis():
        return None
    plan = view.read_plan(request)
    if plan is None:
        return None
    # DRF tries the authenticators in order; only the first one may answer for the request.
    authenticator = _first_authenticator(view)
    if authenticator is None or not hasattr(authenticator, "token_for_round_trip"):
        return None
    found = authenticator.token_for_round_trip(request)
    if found is None:
        return None
    token, user_id = found
    buckets = []
    for throttle in view.get_throttles():
        if not isinstance(throttle, SharedRateThrottle):
            return None  # a throttle that cannot be counted in Redis: the ordinary path
        bucket = throttle.bucket(request, user_id=user_id)
        if bucket is not None:
            buckets.append(bucket)
    result = round_trip.run(
        user_id=user_id,
        throttles=buckets,
        entry=plan,
        requirements=principals.requirements(token),
    )
    if result is not None:
        result.token = token
        result.user_id = user_id
    return result


# One instance per authentication class. DRF builds its authenticators anew for each request,
# but they hold no request state (simplejwt's keep the user model); building one looked the user
# model up twice, about 4 % of a cached read's CPU (docs/profiles/).
_authenticators: dict[type, Any] = {}


def _first_authenticator(view: Any) -> Any:
    classes = view.authentication_classes
    if not classes:
        return None
    authenticator_class = classes[0]
    authenticator = _authenticators.get(authenticator_class)
    if authenticator is None:
        authenticator = _authenticators.setdefault(authenticator_class, authenticator_class())
    return authenticator


def round_trip_of(request: Request) -> round_trip.RoundTrip | None:
    """What the request's round trip answered, when it read an entry."""
    result = getattr(request, ROUND_TRIP_ATTRIBUTE, None)
    if result is None or result.entry_key is None:
        return None
    return result
