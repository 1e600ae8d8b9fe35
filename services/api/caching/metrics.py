"""The caching metrics. `cache_requests_total` is the one the dashboards, alerts and load tests
rely on (docs/architecture.md); the others help an operator see why it moves. Under Gunicorn
every worker writes them to PROMETHEUS_MULTIPROC_DIR and /metrics adds them up
(core/metrics.py)."""

from prometheus_client import Counter, Gauge, Histogram

CACHE_REQUESTS = Counter(
    "cache_requests_total",
    "Cached reads by cache and result: a hit was answered from Redis, a miss from PostgreSQL.",
    ["cache", "result"],
)
CACHE_ERRORS = Counter(
    "cache_errors_total",
    "Redis operations of the caching layer that failed (the request fell back to PostgreSQL).",
    ["operation"],
)
WRITEBEHIND_FLUSHED = Counter(
    "writebehind_flushed_total",
    "Buffered task views written to PostgreSQL by the flusher.",
)
WRITEBEHIND_DROPPED = Counter(
    "writebehind_dropped_total",
    "Task views not buffered because the buffer was full (the flusher is behind or down).",
)
WRITEBEHIND_FLUSH_DURATION = Histogram(
    "writebehind_flush_duration_seconds",
    "Time one flush of the write-behind buffer took.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
WRITEBEHIND_PENDING = Gauge(
    "writebehind_pending_tasks",
    "Tasks with views buffered in Redis, as seen by the last flush.",
    multiprocess_mode="max",
)
