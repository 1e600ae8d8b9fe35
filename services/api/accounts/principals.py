"""Who the caller is, from the cache: the user row and the user's workspace roles, one entry.

Every authenticated request needs the user (JWT authentication) and every cached read needs the
user's roles (visibility and the list keys). From PostgreSQL that is two queries plus a pool
checkout, which on a cached read was about half of its CPU (docs/benchmarks.md); from here it is
one Redis round trip, and a cached read touches PostgreSQL not at all.

The entry hangs on gen:user:<id> (and the epoch). Signals move it after the commit of any change
to the user row or to one of the user's memberships, from a command or not (receivers.py), so a
removed member or a deactivated account is seen at the next request. The password hash is never
cached: the user is rebuilt with `password` deferred, and code that checks or sets a password
loads it from PostgreSQL. Writes never rely on this entry: commands check roles with
workspaces/access.py, in their transaction, against PostgreSQL.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import orjson
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, models

from accounts import sessions
from caching import keys
from caching.aside import cached
from caching.metrics import CACHE_REQUESTS
from caching.principals import ACTIVE, CACHE, MARKER, register_reader, require_from_token
from workspaces.cache_keys import PRINCIPAL_ROLE_MAP_FIELD, PRINCIPAL_ROLES_FIELD, roles_digest
from workspaces.queries import membership_roles
from workspaces.reads import CACHED_ROLES_ATTRIBUTE

# The payload's shape, as the one-round-trip read expects it, is caching/principals.py's: MARKER,
# `active`, `workspaces` and `visibility`; this app adds the session epoch (accounts/sessions.py)
# the request's token must carry, registered as a token requirement (`register`), and the
# digest of the user's roles the workspace list is keyed by (workspaces/cache_keys.py).
EPOCH = "epoch"

_NEVER_CACHED = {"password"}


class UserNotFound(Exception):
    """No user has the id (deleted since the token was issued); nothing is cached."""


@functools.cache
def _cached_fields() -> tuple[tuple[str, bool], ...]:
    """The user model's columns but the password hash, each with whether it holds a datetime
    (JSON carries those as ISO strings). The model is fixed once apps are ready."""
    user_model = get_user_model()
    return tuple(
        (f.attname, isinstance(f, models.DateTimeField))
        for f in user_model._meta.concrete_fields
        if f.attname not in _NEVER_CACHED
    )


def _field_names() -> list[str]:
    return [name for name, _ in _cached_fields()]


def _payload(row: tuple[Any, ...], epoch: int, roles: dict[int, str]) -> bytes:
    fields = _field_names()
    values = dict(zip(fields, row, strict=True))
    workspaces = sorted(roles)
    return MARKER + orjson.dumps(
        {
            "fields": fields,
            "values": list(row),
            ACTIVE: bool(values.get("is_active", True)),
            EPOCH: epoch,
            PRINCIPAL_ROLE_MAP_FIELD: {str(w): role for w, role in roles.items()},
            "workspaces": workspaces,
            "visibility": keys.visibility_digest(workspaces),
            PRINCIPAL_ROLES_FIELD: roles_digest(roles),
        }
    )


def decode(raw: Any) -> dict[str, Any] | None:
    """The payload of a principal entry, or None when it is of another shape or corrupt."""
    if not isinstance(raw, bytes) or not raw.startswith(MARKER):
        return None
    try:
        payload = orjson.loads(raw[len(MARKER) :])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict) or payload.get("fields") != _field_names():
        return None  # a field added or removed by a migration: recompute, do not misread
    if not isinstance(payload.get(EPOCH), int):
        return None  # an entry from before session epochs: recompute
    return payload


def _epoch_wanted(token: Any) -> int:
    # A claim that is not a number matches no entry: the ordinary path then refuses it.
    epoch = sessions.token_epoch(token)
    return epoch if epoch is not None else -1


def register() -> None:
    """Makes the round trip check the token's session epoch against the principal's, and tells
    the toolkit how this app's entries become users (a read answered before DRF's dispatch)."""
    require_from_token(EPOCH, _epoch_wanted)
    register_reader(decode, user_from)


def cached_user(user_id: int) -> AbstractBaseUser:
    """The user with `password` deferred and their roles attached; UserNotFound if none."""
    user_model = get_user_model()
    fields = _field_names()

    def compute() -> bytes:
        # The session epoch comes in the same query (a join): the token check reads it here.
        row = (
            user_model._default_manager.filter(pk=user_id)
            .values_list(*fields, sessions.EPOCH_LOOKUP)
            .first()
        )
        if row is None:
            raise UserNotFound(user_id)
        *values, epoch = row
        roles = membership_roles(user=user_model(pk=user_id))
        return _payload(tuple(values), int(epoch or 0), roles)

    raw = cached(
        cache=CACHE,
        base=keys.principal_key(user_id),
        generations=[keys.user_generation_key(user_id)],
        compute=compute,
        fresh=lambda value: decode(value) is not None,
    )
    payload = decode(raw)
    # An invariant (compute produced it, or `fresh` accepted it), stated for the type checker.
    assert payload is not None  # noqa: S101  # nosec B101
    return user_from(payload)


def user_from_prefetched(raw: Any) -> AbstractBaseUser | None:
    """The user of a principal entry read by a cached read's round trip, counted as a hit; None
    when the entry is of another shape (the caller then takes the path of a miss)."""
    payload = decode(raw)
    if payload is None:
        return None
    CACHE_REQUESTS.labels(CACHE, "hit").inc()
    return user_from(payload)


def user_from(payload: dict[str, Any]) -> AbstractBaseUser:
    values = [
        datetime.fromisoformat(value) if is_datetime and isinstance(value, str) else value
        for (_, is_datetime), value in zip(_cached_fields(), payload["values"], strict=True)
    ]
    user = get_user_model().from_db(DEFAULT_DB_ALIAS, payload["fields"], values)
    roles = payload[PRINCIPAL_ROLE_MAP_FIELD]
    setattr(user, CACHED_ROLES_ATTRIBUTE, {int(w): role for w, role in roles.items()})
    setattr(user, sessions.EPOCH_ATTRIBUTE, payload[EPOCH])
    return user
