"""The realtime service (Daphne, /ws/v1/): limits and timings of the WebSocket protocol.

docs/websocket.md describes each; the defaults hold 1,000+ sockets per process.
"""

from .env import env

# Seconds a new socket has to send its `auth` message before it is closed with 4401.
REALTIME_AUTH_TIMEOUT = env.float("REALTIME_AUTH_TIMEOUT", default=5.0)
# Projects one socket may follow at once.
REALTIME_MAX_SUBSCRIPTIONS = env.int("REALTIME_MAX_SUBSCRIPTIONS", default=50)
# The largest client message accepted (they are all tiny).
REALTIME_MAX_MESSAGE_BYTES = env.int("REALTIME_MAX_MESSAGE_BYTES", default=4096)
# Unread bytes a socket may hold before it is closed with 4008 (about 500 events): the bound that
# keeps a slow client from costing more memory than that.
REALTIME_SEND_BUFFER_BYTES = env.int("REALTIME_SEND_BUFFER_BYTES", default=256 * 1024)
# Streams per subscription whose last version is remembered, to drop duplicates and see gaps.
REALTIME_TRACKED_STREAMS = env.int("REALTIME_TRACKED_STREAMS", default=2048)
# On SIGTERM: how long open sockets get to finish their close handshake (1012) before the
# process exits anyway. Well inside the Kubernetes grace period left after the preStop sleep.
REALTIME_DRAIN_SECONDS = env.float("REALTIME_DRAIN_SECONDS", default=10.0)
# Origins besides this site's own hosts (ALLOWED_HOSTS) whose pages may open sockets.
REALTIME_ALLOWED_ORIGINS = env.list("REALTIME_ALLOWED_ORIGINS", default=[])
# Subscribe and unsubscribe messages one socket may send per window (seconds); more are answered
# `rate_limited`: churn costs channel-layer round trips and access queries.
REALTIME_SUBSCRIPTION_CHANGES = env.int("REALTIME_SUBSCRIPTION_CHANGES", default=60)
REALTIME_SUBSCRIPTION_WINDOW = env.float("REALTIME_SUBSCRIPTION_WINDOW", default=10.0)
