"""Django's session middleware, the session user and messages, skipped on the JSON API's paths.

/admin/ needs all three. The JSON API under /api/v1/ needs none: it authenticates by bearer token
(accounts/tokens.py) and never reads a session, a session user or a message. Yet each ran on
every API request (the messages middleware alone builds two storages per request): together
about 4 % of a cached read's CPU (docs/profiles/). Django has no per-path middleware, hence these
subclasses: each runs exactly as Django's does everywhere else, and on an API path passes the
request straight on. Being subclasses, the admin's system checks (its need for the session, auth
and messages middleware) still recognise them.

CSRF and X-Frame-Options keep Django's own middleware on every path: `check --deploy` looks for
them by name, and together they cost under 1 %.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Messages
from django.contrib.sessions.middleware import SessionMiddleware as _Sessions
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# The JSON API's paths (config/urls.py). Its schema and documentation pages are left out: they
# are HTML pages, rarely read, and keep every browser protection.
API_PREFIX = "/api/v1/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class _BrowserOnly:
    """Runs the middleware it is mixed into, except on the JSON API's paths."""

    get_response: Any

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if is_api(request):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(_BrowserOnly, _Sessions):
    pass


class AuthenticationMiddleware(_BrowserOnly, _Authentication):
    pass


class MessageMiddleware(_BrowserOnly, _Messages):
    pass
