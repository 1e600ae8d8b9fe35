"""Sessions, the session user and messages serve /admin/ as before and stay out of the JSON API's
way (core/browser_middleware.py); CSRF and the framing header stay on everywhere."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
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


@pytest.mark.parametrize(
    "middleware", [SessionMiddleware, AuthenticationMiddleware, MessageMiddleware]
)
def test_the_json_api_runs_without_them(team: Any, middleware: type) -> None:
    client = team.client("viewer")
    client.cookies["sessionid"] = "not-a-session"

    with mock.patch.object(
        middleware, "process_request", autospec=True, side_effect=middleware.process_request
    ) as process_request:
        api = client.get(f"/api/v1/tasks/?project={team.project.pk}")
        assert process_request.call_count == 0
        admin = Client().get("/admin/login/")
        assert process_request.call_count == 1

    assert api.status_code == admin.status_code == 200
    assert "Cookie" not in api.get("Vary", "")  # no session was read
    assert not api.cookies  # and no cookie is set
    assert api["X-Frame-Options"] == "DENY"  # Django's framing header on every path


def test_a_cookie_authenticates_nothing_on_the_json_api() -> None:
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)  # a real admin session cookie

    response = client.get("/api/v1/workspaces/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
