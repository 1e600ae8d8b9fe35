from typing import Any

from django.apps import AppConfig
from django.core.signals import request_started
from django.db import DEFAULT_DB_ALIAS, connections


def _hold_this_threads_connection_object(**kwargs: Any) -> None:
    """Makes this thread's database connection object (it opens no connection).

    Django closes stale connections at the start and end of every request by asking, for each
    alias, whether this thread has a connection object; where it has none yet (a thread that has
    only answered cached reads, which touch no database), each ask raises and catches an
    AttributeError inside asgiref's thread-local: about 3 % of a cached read's CPU
    (docs/profiles/). From the thread's second request on, the ask is a plain lookup."""
    connections[DEFAULT_DB_ALIAS]


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform core (HTTP concerns shared by every endpoint)"

    def ready(self) -> None:
        request_started.connect(
            _hold_this_threads_connection_object, dispatch_uid="core-connection-object"
        )
