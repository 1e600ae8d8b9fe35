"""The error envelope and request ids on every error path."""

import logging
from typing import Any

import pytest
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.test import APIClient

from config.urls import urlpatterns as real_urlpatterns
from tasks.models import Task
from tests.factories import TaskFactory


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details", "request_id"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    assert error["request_id"] == response["X-Request-ID"]
    return error


@api_view(["GET"])
@permission_classes([])
def _explode(request: Any) -> Any:
    raise RuntimeError("database password is hunter2")


def _plain_django_explode(request: Any) -> Any:
    raise RuntimeError("internal detail")


urlpatterns = [
    path("boom/", _explode),
    path("plain-boom/", _plain_django_explode),
    *real_urlpatterns,
]


@pytest.mark.django_db
class TestEnvelope:
    def test_unknown_url_is_a_404_envelope(self, api_client: APIClient) -> None:
        error = assert_envelope(api_client.get("/no/such/path/"), 404, "not_found")
        assert error["details"] == {}

    def test_missing_trailing_slash_is_a_404_not_a_redirect(self, api_client: APIClient) -> None:
        assert_envelope(api_client.post("/api/v1/tasks", {}), 404, "not_found")

    def test_unknown_url_is_an_envelope_in_debug_too(
        self, api_client: APIClient, settings: Any
    ) -> None:
        settings.DEBUG = True
        assert_envelope(api_client.get("/no/such/path/"), 404, "not_found")

    def test_method_not_allowed(self, team: Any) -> None:
        response = team.client("owner").put(f"/api/v1/projects/{team.project.pk}/", {})
        assert_envelope(response, 405, "method_not_allowed")
        assert "PATCH" in response["Allow"]

    def test_not_authenticated(self, api_client: APIClient) -> None:
        assert_envelope(api_client.get("/api/v1/tasks/"), 401, "not_authenticated")

    def test_malformed_json_is_a_parse_error_and_creates_nothing(self, team: Any) -> None:
        response = team.client("member").post(
            "/api/v1/tasks/", data="{not json", content_type="application/json"
        )
        assert_envelope(response, 400, "parse_error")
        assert Task.objects.count() == 0

    def test_wrong_content_type_is_415(self, team: Any) -> None:
        response = team.client("member").post(
            "/api/v1/tasks/", data="title=x", content_type="application/x-www-form-urlencoded"
        )
        assert_envelope(response, 415, "unsupported_media_type")

    def test_validation_details_map_fields_to_messages(self, team: Any) -> None:
        response = team.client("member").post(
            "/api/v1/tasks/", {"project": "x", "title": "", "status": 3, "owner": 1}, format="json"
        )
        error = assert_envelope(response, 400, "validation_error")
        assert set(error["details"]) == {"project", "title", "status", "owner"}
        assert all(isinstance(m, list) and m for m in error["details"].values())

    def test_non_object_body_is_a_validation_error(self, team: Any) -> None:
        response = team.client("member").post("/api/v1/tasks/", [1, 2], format="json")
        error = assert_envelope(response, 400, "validation_error")
        assert "non_field_errors" in error["details"]

    def test_oversized_body_is_413(self, team: Any, settings: Any) -> None:
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        body = f'{{"title": "{"x" * 2000}", "project": {team.project.pk}}}'
        response = team.client("member").post(
            "/api/v1/tasks/", data=body, content_type="application/json"
        )
        assert_envelope(response, 413, "request_too_large")
        assert Task.objects.count() == 0

    def test_invalid_id_in_path_is_404(self, team: Any) -> None:
        assert_envelope(team.client("owner").get("/api/v1/tasks/abc/"), 404, "not_found")
        assert_envelope(team.client("owner").get("/api/v1/tasks/99999999/"), 404, "not_found")


@pytest.mark.django_db
@pytest.mark.urls(__name__)
class TestServerErrors:
    def test_unhandled_exception_in_api_view_is_a_500_without_internals(
        self, api_client: APIClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="api.errors"):
            response = api_client.get("/boom/", HTTP_X_REQUEST_ID="trace-500")
        error = assert_envelope(response, 500, "server_error")
        assert error["request_id"] == "trace-500"
        assert b"hunter2" not in response.content
        assert b"Traceback" not in response.content
        assert any("hunter2" in (r.exc_text or "") for r in caplog.records), "logged with trace"

    def test_unhandled_exception_in_plain_view_is_a_500_envelope(self) -> None:
        client = APIClient(raise_request_exception=False)
        error = assert_envelope(client.get("/plain-boom/"), 500, "server_error")
        assert "internal detail" not in error["message"]


@pytest.mark.django_db
class TestRequestId:
    def test_valid_request_id_is_echoed(self, api_client: APIClient) -> None:
        response = api_client.get("/healthz", HTTP_X_REQUEST_ID="abc.DEF_1:2-3")
        assert response["X-Request-ID"] == "abc.DEF_1:2-3"

    @pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", "<script>"])
    def test_invalid_request_id_is_replaced(self, api_client: APIClient, bad: str) -> None:
        response = api_client.get("/healthz", HTTP_X_REQUEST_ID=bad)
        assert response["X-Request-ID"] != bad
        assert len(response["X-Request-ID"]) == 32

    def test_generated_when_absent_and_unique(self, api_client: APIClient) -> None:
        first = api_client.get("/healthz")["X-Request-ID"]
        second = api_client.get("/healthz")["X-Request-ID"]
        assert first != second

    def test_request_log_line_carries_route_status_user_and_id(
        self, team: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        task = TaskFactory(project=team.project)
        with caplog.at_level(logging.INFO, logger="api.request"):
            team.client("viewer").get(f"/api/v1/tasks/{task.pk}/", HTTP_X_REQUEST_ID="log-me")
        record = next(r for r in caplog.records if r.name == "api.request")
        assert record.route == "/api/v1/tasks/<int:pk>/"  # type: ignore[attr-defined]
        assert record.status == 200  # type: ignore[attr-defined]
        assert record.user == team.viewer.pk  # type: ignore[attr-defined]
        assert record.request_id == "log-me"  # type: ignore[attr-defined]
        assert record.duration_ms >= 0  # type: ignore[attr-defined]
