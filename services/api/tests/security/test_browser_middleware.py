"""Sessions, CSRF, messages and X-Frame-Options protect /admin/ as before and stay out of the
JSON API's way (core/browser_middleware.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_admin_keeps_its_csrf_protection() -> None:
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True)

    forged = client.post("/admin/login/", {"username": staff.username, "password": PASSWORD})
    assert forged.status_code == 403

    form = client.get("/admin/login/")
    assert form["X-Frame-Options"] == "DENY"
    token = form.cookies["csrftoken"].value
    signed_in = client.post(
        "/admin/login/",
        {"username": staff.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert signed_in.status_code == 302
    assert "sessionid" in signed_in.cookies
    # the session authenticates the admin on the next request
    index = client.get("/admin/")
    assert index.status_code == 200
    assert staff.username in index.content.decode()


def test_the_json_api_runs_without_them(team: Any) -> None:
    client = team.client("viewer")
    client.cookies["sessionid"] = "not-a-session"
    client.cookies["csrftoken"] = "x" * 32

    response = client.get(f"/api/v1/tasks/?project={team.project.pk}")

    assert response.status_code == 200
    assert not response.has_header("X-Frame-Options")  # nginx sets its own
    assert "Cookie" not in response.get("Vary", "")  # no session or CSRF cookie was read
    assert not response.cookies  # and none is set


def test_a_cookie_authenticates_nothing_on_the_json_api() -> None:
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)  # a real admin session cookie

    response = client.get("/api/v1/workspaces/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
