"""Erasing personal data from events: the one UPDATE the append-only trigger allows
(migration 0003), used only by an erasure request (manage.py user_erase).

An erased event keeps its place, type, version, actor id and time; it loses its caller's address
and user agent, and the data fields named are replaced by ERASED. Projections read ERASED like any
other value, so read models rebuilt from the events equal the erased read models.
"""

from collections.abc import Iterable, Mapping

from django.db import connection, transaction

from eventstore.models import Event

ERASED = "[erased]"


_ERASING = {
    True: "SET LOCAL eventstore.erasing = 'on'",
    False: "SET LOCAL eventstore.erasing = 'off'",
}


def _erasing(on: bool) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_ERASING[on])


@transaction.atomic
def erase_personal_data(
    *, event_ids: Iterable[int], data_fields: Mapping[int, Iterable[str]] | None = None
) -> int:
    """Empties ip_address and user_agent of the events, and replaces the fields of their data
    that `data_fields` names (by event id) with ERASED. Returns the number of events changed."""
    ids = sorted(set(event_ids))
    data_fields = data_fields or {}
    _erasing(True)
    try:
        changed = Event.objects.filter(id__in=[i for i in ids if i not in data_fields]).update(
            ip_address=None, user_agent=""
        )
        for event in Event.objects.filter(id__in=[i for i in ids if i in data_fields]):
            data = dict(event.data)
            for key in data_fields[event.id]:
                if key in data:
                    data[key] = ERASED
            changed += Event.objects.filter(pk=event.pk).update(
                ip_address=None, user_agent="", data=data
            )
    finally:
        _erasing(False)
    return changed
