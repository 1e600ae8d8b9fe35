"""Signals of the event store. Infrastructure only: nothing of the domain listens to them."""

from django.dispatch import Signal

# Sent after a transaction that wrote outbox rows has committed. The outbox relay inside a
# development server wakes on it instead of waiting for its next poll; the relay worker listens
# to PostgreSQL's NOTIFY instead (a trigger), which also covers writes of other processes.
outbox_committed = Signal()
