"""Caches: Redis through django-redis when REDIS_URL is set, else process-local memory.

Two aliases: `default` for cached reads, `throttle` for the rate limiter's counters. They share
one server but not one key space, so clearing the read cache in an incident never resets the
rate limits.
"""

from .env import env

REDIS_URL = env("REDIS_URL", default="")
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="taskboard")
CACHE_VERSION = env.int("CACHE_VERSION", default=1)
CACHE_DEFAULT_TIMEOUT = env.int("CACHE_DEFAULT_TIMEOUT", default=300)


def _redis_cache(prefix: str) -> dict[str, object]:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": prefix,
        "VERSION": CACHE_VERSION,
        "TIMEOUT": CACHE_DEFAULT_TIMEOUT,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
            "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
            "CONNECTION_POOL_KWARGS": {
                "max_connections": env.int("REDIS_MAX_CONNECTIONS", default=50),
                "health_check_interval": 30,
            },
        },
    }


if REDIS_URL:
    CACHES = {
        "default": _redis_cache(CACHE_KEY_PREFIX),
        "throttle": _redis_cache(f"{CACHE_KEY_PREFIX}:throttle"),
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "default",
            "TIMEOUT": CACHE_DEFAULT_TIMEOUT,
        },
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle",
        },
    }

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# A Redis outage degrades reads to PostgreSQL instead of failing them; /readyz still reports it.
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "cache"
# django-redis's default, stated: Django closes every cache at the end of each request, and
# django-redis then looks this setting up; a missing setting costs an AttributeError per cache
# per request.
DJANGO_REDIS_CLOSE_CONNECTION = False
