"""The cached principal as the toolkit sees it: the entry's marker, the fields the one-round-trip
read (round_trip.py) reads from it, and what a request's token requires of it.

The app that owns the users caches the principal (accounts/principals.py) under
keys.principal_key and keys.user_generation_key, as MARKER + a JSON object holding at least:
- `workspaces`: the ids of the workspaces the user sees (a read that depends on all of them
  adds one generation per id, round_trip.EntryPlan.per_workspace);
- `visibility`: keys.visibility_digest of those ids (a list entry's scope);
- `active`, and every field a token requirement names (`require_from_token`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from caching.store import RAW_MARK

# The payload is JSON behind this marker, so that the one-round-trip script of a cached read
# (caching/round_trip.py) can read `active`, `workspaces` and `visibility` with cjson. Moves when
# the payload's shape changes: an entry of another shape is recomputed, never misread.
MARKER = RAW_MARK + b"p3\n"
# Payload fields the round-trip script compares with what the request expects before it counts
# the request against a throttle (see `requirements`): a new check is one more field here or a
# registered token requirement, and one more field in the principal's payload.
ACTIVE = "active"

# The cache name of the principal in cache_requests_total.
CACHE = "principal"

# A payload field and the value a validated token requires it to hold.
_token_requirements: dict[str, Callable[[Any], Any]] = {}
# How an entry becomes its payload (None for another shape) and a payload a user: the owner of
# the principal knows its fields (register_reader); a read answered before DRF's dispatch needs
# both and must not import it.
_decode: Callable[[Any], dict[str, Any] | None] = lambda raw: None  # noqa: E731
_user_from: Callable[[dict[str, Any]], Any] | None = None


def register_reader(
    decode: Callable[[Any], dict[str, Any] | None], user_from: Callable[[dict[str, Any]], Any]
) -> None:
    """Registers how an entry is decoded and its user built (the owner calls it in ready())."""
    global _decode, _user_from
    _decode, _user_from = decode, user_from


def decode(raw: Any) -> dict[str, Any] | None:
    """The entry's payload, or None when it is of another shape, corrupt, or nobody registered."""
    return _decode(raw)


def user_from(payload: dict[str, Any]) -> Any:
    if _user_from is None:
        raise RuntimeError("no principal reader registered (accounts' AppConfig.ready())")
    return _user_from(payload)


def require_from_token(field: str, wanted: Callable[[Any], Any]) -> None:
    """Registers a payload field that must equal `wanted(token)` for a request made with `token`
    (the owner of the principal calls it in its AppConfig.ready())."""
    _token_requirements[field] = wanted


def requirements(token: Any = None) -> dict[str, Any]:
    """What a principal entry must hold for a request made with `token` (the validated access
    token) to go on: checked inside the round trip, before the request is counted against a
    throttle. A claim that must match the account is one more registered requirement."""
    wanted: dict[str, Any] = {ACTIVE: True}
    if token is not None:
        for field, of_token in _token_requirements.items():
            wanted[field] = of_token(token)
    return wanted
