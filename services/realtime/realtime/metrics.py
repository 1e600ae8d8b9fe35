"""The realtime metrics (docs/architecture.md), served with the rest on the process's /metrics.

Daphne is one process per port, so the default registry is the service's; under
PROMETHEUS_MULTIPROC_DIR the gauge adds up the live processes instead.
"""

from prometheus_client import Counter, Gauge, Histogram

from core.metrics import LATENCY_BUCKETS

CONNECTIONS_ACTIVE = Gauge(
    "ws_connections_active",
    "WebSocket connections open on this process.",
    multiprocess_mode="livesum",
)
MESSAGES_SENT = Counter(
    "ws_messages_sent_total",
    "Messages sent to WebSocket clients, by message type.",
    ["type"],
)
DELIVERY_LATENCY = Histogram(
    "event_delivery_latency_seconds",
    "Time from an event's commit to its send on a subscribed socket.",
    buckets=(0.001, 0.0025, *LATENCY_BUCKETS),
)
CLOSES = Counter(
    "ws_closes_total",
    "Sockets the server closed, by close code (docs/websocket.md).",
    ["code"],
)

MESSAGE_TYPES = (
    "authenticated",
    "subscribed",
    "unsubscribed",
    "event",
    "pong",
    "error",
)
# Bound children: a label lookup per message would cost more than the increment itself.
SENT = {kind: MESSAGES_SENT.labels(kind) for kind in MESSAGE_TYPES}
