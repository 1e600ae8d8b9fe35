"""Metrics of the write side (the names docs/monitoring.md and its dashboards rely on)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPENDED = Counter("events_appended_total", "Events committed to the event store.", ["type"])
OUTBOX_BACKLOG = Gauge(
    "outbox_backlog",
    "Outbox messages committed but not yet published.",
    multiprocess_mode="max",
)
EVENT_DISPATCH_LATENCY = Histogram(
    "event_dispatch_latency_seconds",
    "Time from an event's commit to its publication on the channel layer.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
