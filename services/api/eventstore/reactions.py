"""Reactions: work another app must do in the transaction that appends an event.

A command of one app may end objects that another app, higher up, keeps state about: deleting a
project ends its tasks. The lower app appends its event and knows nothing more; the higher app
registers a reaction to that event type (from its AppConfig.ready) and `append` runs it before
returning, inside the same transaction, so that whatever the reaction writes (its own events,
read models and outbox rows) commits or rolls back with the event that caused it.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable

from eventstore.models import Event

Reaction = Callable[[Event], None]

_reactions: dict[str, list[Reaction]] = defaultdict(list)


def react_to(*event_types: str) -> Callable[[Reaction], Reaction]:
    """Registers the decorated function to run on every appended event of these types."""

    def register(reaction: Reaction) -> Reaction:
        for event_type in event_types:
            _reactions[event_type].append(reaction)
        return reaction

    return register


def react(records: Iterable[Event]) -> None:
    """Runs the reactions to each appended event, in the order the events were appended."""
    for record in records:
        for reaction in _reactions.get(record.type, ()):
            reaction(record)
