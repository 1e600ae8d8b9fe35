"""Django's browser middleware (sessions, CSRF, the session user, messages, X-Frame-Options),
skipped on the JSON API's paths.

/admin/ needs all five. The JSON API under /api/v1/ needs none: it authenticates by bearer token
(accounts/tokens.py), never reads a session, a cookie or a message, its views are exempt from CSRF
(DRF's views are, and cookies authenticate nothing there), and its responses are JSON that nginx
gives its own X-Frame-Options. Yet each of the five ran on every API request (the messages
storage alone builds two storages per request): together about 6 % of a cached read's CPU
(docs/profiles/). Django has no per-path middleware, hence these subclasses: each runs exactly
as Django's does everywhere else, and on an API path passes the request straight on. Being
subclasses, Django's system checks (the admin's need for the session, auth and messages
middleware) still recognise them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Messages
from django.contrib.sessions.middleware import SessionMiddleware as _Sessions
from django.http import HttpRequest, HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware as _XFrameOptions
from django.middleware.csrf import CsrfViewMiddleware as _Csrf

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


class XFrameOptionsMiddleware(_BrowserOnly, _XFrameOptions):
    pass


class CsrfViewMiddleware(_BrowserOnly, _Csrf):
    """Django's handler also calls `process_view` itself, outside `__call__`: skipped on the API
    too, where every view is exempt anyway and `process_request` did not read the cookie."""

    def process_view(
        self, request: HttpRequest, callback: Any, callback_args: Any, callback_kwargs: Any
    ) -> HttpResponseForbidden | None:
        if is_api(request):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)
