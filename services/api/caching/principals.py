"""Who the caller is, from the cache: the user row and the user's workspace roles, one entry.

Every authenticated request needs the user (JWT authentication) and every cached read needs the
user's roles (visibility and the list keys). From PostgreSQL that is two queries plus a pool
checkout, which on a cached read was about half of its CPU (docs/benchmarks.md); from here it is
one Redis round trip, and a cached read touches PostgreSQL not at all.

The entry hangs on gen:user:<id> (and the epoch). Signals move it after the commit of any change
to the user row or to one of the user's memberships, from a command or not (signals.py), so a
removed member or a deactivated account is seen at the next request. The password hash is never
cached: the user is rebuilt with `password` deferred, and code that checks or sets a password
loads it from PostgreSQL. Writes never rely on this entry: commands check roles with
access.checks, in their transaction, against PostgreSQL.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import DEFAULT_DB_ALIAS

from accounts import sessions
from caching import keys
from caching.aside import cached
from workspaces.queries import membership_roles

# Attribute of a user instance built from the cache that holds the roles read with it.
_ROLES = "_cached_workspace_roles"
_NEVER_CACHED = {"password"}


class UserNotFound(Exception):
    """No user has the id (deleted since the token was issued); nothing is cached."""


@functools.cache
def _cached_fields() -> tuple[str, ...]:
    """The user model's columns but the password hash (the model is fixed once apps are ready)."""
    user_model = get_user_model()
    return tuple(
        f.attname for f in user_model._meta.concrete_fields if f.attname not in _NEVER_CACHED
    )


def cached_user(user_id: int) -> AbstractBaseUser:
    """The user with `password` deferred and their roles attached; UserNotFound if none."""
    user_model = get_user_model()
    fields = list(_cached_fields())

    def compute() -> dict[str, Any]:
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
        return {"fields": fields, "values": values, "roles": roles, "epoch": epoch or 0}

    entry = cached(
        cache="principal",
        base=keys.principal_key(user_id),
        generations=[keys.user_generation_key(user_id)],
        compute=compute,
        # An entry of another shape (a field added by a migration) is recomputed, not misread.
        fresh=lambda value: value["fields"] == fields and "epoch" in value,
    )
    user = user_model.from_db(DEFAULT_DB_ALIAS, entry["fields"], entry["values"])
    setattr(user, _ROLES, dict(entry["roles"]))
    setattr(user, sessions.EPOCH_ATTRIBUTE, entry["epoch"])
    return user


def workspace_roles(user: AbstractBaseUser | AnonymousUser) -> dict[int, str]:
    """The user's role in each workspace: the roles cached with the user when it was
    authenticated from the cache, else fresh from PostgreSQL."""
    roles = getattr(user, _ROLES, None)
    if roles is not None:
        return dict(roles)
    return membership_roles(user=user)
