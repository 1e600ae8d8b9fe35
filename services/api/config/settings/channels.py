"""The channel layer: Redis when REDIS_URL is set (every process shares it), else in-memory."""

from .cache import REDIS_URL
from .env import env

ASGI_APPLICATION = "config.asgi.application"

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # PubSub: measured against the core layer in docs/websocket.md.
            "BACKEND": env(
                "CHANNEL_LAYER_BACKEND", default="channels_redis.pubsub.RedisPubSubChannelLayer"
            ),
            "CONFIG": {
                # redis-py reads with a 5 s socket timeout by default, and the core layer
                # blocks 5 s in BZPOPMIN: an idle receiver would time out on every read.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": env.float("CHANNEL_LAYER_SOCKET_TIMEOUT", default=15.0),
                        "socket_connect_timeout": 5.0,
                    }
                ],
                "prefix": env("CHANNEL_LAYER_PREFIX", default="taskboard:channels"),
                "capacity": env.int("CHANNEL_LAYER_CAPACITY", default=1000),
                "expiry": 60,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The relay worker (manage.py relay_outbox).
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=200)
OUTBOX_POLL_SECONDS = env.float("OUTBOX_POLL_SECONDS", default=5.0)
# The relay as a task of the Daphne process itself (realtime/inprocess_relay.py): what the
# development server runs, since the in-memory channel layer reaches no other process. The real
# stack runs relay workers instead.
OUTBOX_RELAY_IN_PROCESS = env.bool("OUTBOX_RELAY_IN_PROCESS", default=False)
