"""The user of a cached read answered before DRF's dispatch, built only if something asks.

A hit needs of its user only the id and that it is signed in (the request log, a visibility
query by user id); building the User instance from the principal's JSON (decoding, datetimes,
Model.from_db) was a tenth of such a read's CPU (docs/profiles/). Anything else asked of it
(is_staff, username, isinstance) builds the real user from the principal entry the round trip
read, exactly as authentication would have.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils.functional import SimpleLazyObject

from caching import principals


class PrincipalUser(SimpleLazyObject):
    """A signed-in user whose id is known and whose instance is built on first use."""

    is_authenticated = True
    is_anonymous = False

    def __bool__(self) -> bool:
        # A user instance is always true; LazyObject would build it to find out (the permission
        # check `bool(request.user and ...)` did, on every hit).
        return True

    def __init__(self, user_id: int, principal: bytes) -> None:
        def build() -> AbstractBaseUser:
            payload = principals.decode(principal)
            if payload is None:  # the caller checked the shape: an invariant
                raise ValueError("principal entry of another shape")
            return principals.user_from(payload)

        super().__init__(build)
        # In the instance's own dict, which LazyObject reads before proxying to the user.
        self.__dict__["pk"] = user_id
        self.__dict__["id"] = user_id
