"""Write-through, the part every domain app shares: the extent of a command, and the principal.

Each app's write_through.py holds the calls its commands make when they change what a cached
read shows (tasks/write_through.py, workspaces/write_through.py): each moves the generations of
the lists the change appears in and, after the commit, renders the changed entity from
PostgreSQL into its detail entry, so that the next read is a hit that already shows the write.
The writer's own next read can never see the state before its write: its request returns only
after the on-commit rewrite ran.

`command_writes()` marks a command's extent: the signal receivers (each app's receivers.py),
which exist for changes that bypass the commands, stand down inside it, because the command
invalidates explicitly and knows more precisely what changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from caching import keys
from caching.invalidation import after_write

_in_command: ContextVar[bool] = ContextVar("caching_in_command", default=False)


@contextmanager
def command_writes() -> Iterator[None]:
    """Usable as a decorator too: `@command_writes()`."""
    token = _in_command.set(True)
    try:
        yield
    finally:
        _in_command.reset(token)


def in_command() -> bool:
    return _in_command.get()


def principal_written(*, user_id: int) -> None:
    """After the user row or one of the user's memberships changed (accounts/receivers.py sends
    it for every save and delete; callers of QuerySet.update() on either table call it
    themselves)."""
    after_write([keys.user_generation_key(user_id)])
