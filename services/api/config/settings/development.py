"""Local development (`make dev`): debug on, embedded defaults unless DATABASE_URL / REDIS_URL are
set, and one process for everything: Daphne's runserver serves HTTP and /ws/v1/ on one port
(ASGI_APPLICATION) and publishes the outbox itself."""

from .base import *  # noqa: F403
from .env import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# First, so that its runserver (ASGI: HTTP and WebSocket) replaces Django's and staticfiles'.
INSTALLED_APPS.insert(0, "daphne")  # noqa: F405
OUTBOX_RELAY_IN_PROCESS = env.bool("OUTBOX_RELAY_IN_PROCESS", default=True)
OUTBOX_POLL_SECONDS = env.float("OUTBOX_POLL_SECONDS", default=1.0)
LOG_FORMAT = env("LOG_FORMAT", default="console")
LOGGING["handlers"]["stdout"]["formatter"] = LOG_FORMAT  # type: ignore[index]  # noqa: F405
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [  # noqa: F405
    "drf_orjson_renderer.renderers.ORJSONRenderer",
    "rest_framework.renderers.BrowsableAPIRenderer",
]
