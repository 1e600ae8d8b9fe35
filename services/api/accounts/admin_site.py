"""The admin site with its login throttled: staff passwords are the most valuable ones to guess,
and neither nginx (which limits /api/v1/auth/) nor the DRF throttles see /admin/login/.

A login attempt (POST) counts in the strict bucket of the client address, the one that login,
registration and password change share through Redis (5/minute; per process while Redis is
down, core/throttle_fallback.py). Over the rate the answer is 429 with Retry-After.
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse

from core.throttling import StrictRateThrottle


class ThrottledAdminSite(admin.AdminSite):
    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.method == "POST":
            throttle = StrictRateThrottle()
            if not throttle.allow_request(request, None):  # type: ignore[arg-type]
                response = HttpResponse(
                    "Too many login attempts. Try again later.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(math.ceil(throttle.wait() or 1))
                return response
        return super().login(request, extra_context)


class ThrottledAdminConfig(AdminConfig):
    """Replaces django.contrib.admin in INSTALLED_APPS (Django's way to change the default site)."""

    default_site = "accounts.admin_site.ThrottledAdminSite"
