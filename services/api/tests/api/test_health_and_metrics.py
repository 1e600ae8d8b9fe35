"""Probes, the metrics exposition, CORS and the OpenAPI schema."""

from typing import Any
from unittest import mock

import pytest
import yaml
from django.db import OperationalError
from rest_framework.test import APIClient

from tests.api.test_errors import assert_envelope
from tests.conftest import requires_redis


@pytest.mark.django_db
class TestProbes:
    def test_healthz(self, api_client: APIClient) -> None:
        response = api_client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_readyz_checks_database_and_redis(self, api_client: APIClient, settings: Any) -> None:
        body = api_client.get("/readyz").json()
        assert body["status"] == "ok"
        assert body["checks"]["database"] == "ok"
        assert ("redis" in body["checks"]) == bool(settings.REDIS_URL)

    def test_readyz_is_503_when_the_database_fails(self, api_client: APIClient) -> None:
        with mock.patch("core.health._check_database", side_effect=OperationalError("down")):
            response = api_client.get("/readyz")
        error = assert_envelope(response, 503, "service_unavailable")
        assert error["details"]["database"] == "unavailable"

    @requires_redis
    def test_readyz_is_503_when_redis_is_unreachable(self, api_client: APIClient) -> None:
        # Given: a Redis client pointed at a port where nothing listens
        import redis

        dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
        with mock.patch("core.health.get_redis_connection", return_value=dead):
            response = api_client.get("/readyz")
        error = assert_envelope(response, 503, "service_unavailable")
        assert error["details"] == {"database": "ok", "redis": "unavailable"}

    def test_database_outage_inside_the_api_is_503_with_retry_after(self, team: Any) -> None:
        with mock.patch("tasks.views.task_list", side_effect=OperationalError("gone")):
            response = team.client("owner").get("/api/v1/tasks/")
        assert_envelope(response, 503, "service_unavailable")
        assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_metrics_count_requests_by_route_pattern(team: Any) -> None:
    client = team.client("owner")
    client.get(f"/api/v1/projects/{team.project.pk}/")
    body = APIClient().get("/metrics").content.decode()
    assert (
        'http_requests_total{method="GET",route="/api/v1/projects/<int:pk>/",service="api",status="200"}'
        in body
    )
    assert "http_request_duration_seconds_bucket" in body
    assert f"/api/v1/projects/{team.project.pk}/" not in body


@pytest.mark.django_db
def test_unknown_paths_share_one_route_label(api_client: APIClient) -> None:
    for n in range(3):
        api_client.get(f"/random/{n}/")
    body = api_client.get("/metrics").content.decode()
    assert 'route="<unmatched>"' in body
    assert "/random/1/" not in body


@pytest.mark.django_db
def test_cors_allows_configured_origins_only(api_client: APIClient, settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = api_client.options(
        "/api/v1/tasks/",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    denied = api_client.options(
        "/api/v1/tasks/",
        HTTP_ORIGIN="https://evil.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in denied


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


@pytest.mark.django_db
class TestSchema:
    def test_every_contract_path_is_described(self, schema: dict[str, Any]) -> None:
        expected = {
            "/api/v1/auth/register/",
            "/api/v1/auth/token/",
            "/api/v1/auth/token/refresh/",
            "/api/v1/auth/token/verify/",
            "/api/v1/auth/logout/",
            "/api/v1/auth/me/",
            "/api/v1/workspaces/",
            "/api/v1/workspaces/{id}/",
            "/api/v1/workspaces/{workspace_id}/members/",
            "/api/v1/workspaces/{workspace_id}/members/{user_id}/",
            "/api/v1/projects/",
            "/api/v1/projects/{id}/",
            "/api/v1/labels/",
            "/api/v1/labels/{id}/",
            "/api/v1/tasks/",
            "/api/v1/tasks/{id}/",
            "/api/v1/tasks/{task_id}/comments/",
        }
        assert expected <= set(schema["paths"])

    def test_errors_and_pagination_are_documented(self, schema: dict[str, Any]) -> None:
        tasks = schema["paths"]["/api/v1/tasks/"]["get"]
        names = {p["name"] for p in tasks["parameters"]}
        assert {
            "page",
            "page_size",
            "limit",
            "offset",
            "cursor",
            "pagination",
            "status",
            "priority",
            "search",
            "ordering",
            "due_before",
        } <= names
        assert tasks["responses"]["401"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        patch = schema["paths"]["/api/v1/tasks/{id}/"]["patch"]
        assert {"409", "412", "400"} <= set(patch["responses"])
        login = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
        assert "429" in login and "401" in login and "403" not in login

    def test_docs_page_is_served(self, api_client: APIClient) -> None:
        response = api_client.get("/api/docs/")
        assert response.status_code == 200
        assert b"swagger" in response.content.lower()
