"""Production: TLS behind nginx, strict security headers, and a refusal to start when insecure."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env

_INSECURE_KEY_MARKERS = ("django-insecure", "change-me", "changeme", "secret", "example")


def _refuse_insecure_defaults() -> None:
    problems = []
    key = SECRET_KEY  # noqa: F405
    if not key or len(key) < 50 or any(m in key.lower() for m in _INSECURE_KEY_MARKERS):
        problems.append("DJANGO_SECRET_KEY must be set to a random value of 50+ characters")
    if DEBUG:  # noqa: F405
        problems.append("DJANGO_DEBUG must be off")
    if not ALLOWED_HOSTS:
        problems.append("DJANGO_ALLOWED_HOSTS must name the hosts this service answers for")
    if problems:
        raise ImproperlyConfigured("Refusing to start: " + "; ".join(problems))


ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
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
