"""Production: TLS behind nginx, strict security headers, and a refusal to start when insecure."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env

_INSECURE_KEY_MARKERS = ("django-insecure", "change-me", "changeme", "secret", "example")


def _weak(key: str) -> bool:
    return not key or len(key) < 50 or any(m in key.lower() for m in _INSECURE_KEY_MARKERS)


def _refuse_insecure_defaults() -> None:
    problems = []
    if _weak(SECRET_KEY):  # noqa: F405
        problems.append("DJANGO_SECRET_KEY must be set to a random value of 50+ characters")
    # Set on its own, the JWT key signs every token: a weak one lets anyone mint them.
    if env("JWT_SIGNING_KEY", default=None) is not None and _weak(SIMPLE_JWT["SIGNING_KEY"]):  # noqa: F405
        problems.append("JWT_SIGNING_KEY, when set, must be a random value of 50+ characters")
    if DEBUG:  # noqa: F405
        problems.append("DJANGO_DEBUG must be off")
    if not ALLOWED_HOSTS:
        problems.append("DJANGO_ALLOWED_HOSTS must name the hosts this service answers for")
    if problems:
        raise ImproperlyConfigured("Refusing to start: " + "; ".join(problems))


ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
# `seed_demo` creates a login whose password is public: refused here unless asked for explicitly
# (DEMO_DATA_ALLOWED=1 or `seed_demo --allow-production`, for a throwaway local stack).
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=False)
_refuse_insecure_defaults()

# TLS is terminated by nginx, which sets X-Forwarded-Proto; probes and scrapes reach the
# process directly over plain HTTP, so they are exempt from the redirect.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
USE_X_FORWARDED_HOST = False
