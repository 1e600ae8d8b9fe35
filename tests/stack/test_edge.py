"""nginx in front of the application: TLS, headers, request ids, limits and its own errors."""

from __future__ import annotations

import gzip
import json
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from conftest import (
    HTTP,
    HTTPS,
    NGINX_REQUEST_ID,
    STACK_DIR,
    Client,
    assert_error_envelope,
    child_pids,
    program_pid,
    supervisorctl,
    wait_until,
)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def log_lines(name: str) -> list[dict]:
    lines = []
    for line in (STACK_DIR / "logs" / name).read_text().splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines


def logged_request_ids(name: str) -> set[str]:
    return {str(line.get("request_id")) for line in log_lines(name)}


def test_api_answers_carry_the_security_headers_once(client: Client) -> None:
    # Given an API answer (here the application's own 401)
    response = client.get("/api/v1/auth/me/")

    # Then nginx's headers are there, each exactly once (the application's copies are hidden)
    assert response.status_code == 401
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Server"] == "nginx"


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_get_a_policy_that_lets_them_load_from_this_origin_only(
    client: Client, page: str
) -> None:
    response = client.get(page)

    assert response.status_code == 200
    assert "text/html" in response.headers["Content-Type"]
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "http" not in policy
    assert "frame-ancestors 'none'" in policy


def test_the_live_board_may_load_its_assets_and_open_its_socket(client: Client) -> None:
    page = client.get("/live/")
    script = client.get("/live/board.js")

    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    for response in (page, script):
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "connect-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy


def test_admin_pages_get_a_same_origin_policy(client: Client) -> None:
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Frame-Options"] == "DENY"


def test_plain_http_redirects_to_https_and_keeps_the_method(client: Client) -> None:
    response = client.post(f"{HTTP}/api/v1/auth/token/?next=1", json={})

    assert response.status_code == 308
    assert response.headers["Location"] == f"{HTTPS}/api/v1/auth/token/?next=1"
    assert "Strict-Transport-Security" not in response.headers


def test_plain_http_on_the_tls_port_is_sent_to_https(client: Client) -> None:
    response = client.get("http://127.0.0.1:8443/api/v1/tasks/")

    assert response.status_code == 308
    assert response.headers["Location"] == f"{HTTPS}/api/v1/tasks/"


def test_probes_answer_on_plain_http(client: Client) -> None:
    assert client.get(f"{HTTP}/healthz").json() == {"status": "ok"}
    ready = client.get(f"{HTTP}/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"


@pytest.mark.parametrize("base", [HTTPS, HTTP])
def test_metrics_are_not_served_to_the_public(client: Client, base: str) -> None:
    response = client.get(f"{base}/metrics")

    assert_error_envelope(response, 404, "not_found")


def test_unknown_urls_get_the_application_404(client: Client) -> None:
    response = client.get("/api/v1/no-such-thing/")

    error = assert_error_envelope(response, 404, "not_found")
    # The application's envelope, not nginx's: the request went upstream.
    assert error["request_id"] in wait_until(
        lambda: logged_request_ids("api.log") & {error["request_id"]}, 10
    )


def test_a_valid_request_id_is_passed_through_every_hop(client: Client) -> None:
    # Given a request id the application accepts
    request_id = f"e2e-{uuid.uuid4().hex}:1.0"

    # When the request goes through nginx to the application
    response = client.get("/api/v1/auth/me/", headers={"X-Request-ID": request_id})

    # Then the client, nginx's access log and the application's log all carry it
    assert response.headers["X-Request-ID"] == request_id
    assert response.json()["error"]["request_id"] == request_id
    wait_until(lambda: request_id in logged_request_ids("nginx-access.log"), 10)
    wait_until(lambda: request_id in logged_request_ids("api.log"), 10)


@pytest.mark.parametrize("sent", [None, "has spaces and !", "x" * 129])
def test_nginx_makes_the_request_id_when_there_is_no_valid_one(
    client: Client, sent: str | None
) -> None:
    headers = {"X-Request-ID": sent} if sent is not None else {}

    response = client.get("/api/v1/auth/me/", headers=headers)

    # nginx's id ($request_id), which the application accepts and keeps
    request_id = response.headers["X-Request-ID"]
    assert NGINX_REQUEST_ID.match(request_id)
    assert response.json()["error"]["request_id"] == request_id
    entry = wait_until(
        lambda: [e for e in log_lines("nginx-access.log") if e["request_id"] == request_id], 10
    )[0]
    assert entry["upstream_status"] == "401"
    assert entry["remote_addr"] == client.address
    assert float(entry["upstream_response_time"]) >= 0


def test_large_json_answers_are_compressed(client: Client) -> None:
    response = client.get(
        "/api/schema/?format=json", headers={"Accept-Encoding": "gzip"}, stream=True
    )

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    schema = json.loads(gzip.decompress(response.raw.read()))
    assert "/api/v1/tasks/" in schema["paths"]


def test_static_files_are_served_by_nginx_with_caching(client: Client) -> None:
    response = client.get("/static/admin/css/base.css")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["Cache-Control"] == "public, max-age=604800"


def test_a_missing_static_file_is_a_404_envelope(client: Client) -> None:
    assert_error_envelope(client.get("/static/no-such-file.css"), 404, "not_found")


def test_bodies_over_the_limit_are_refused_by_nginx(client: Client) -> None:
    body = b'{"title": "' + b"x" * (1024 * 1024 + 1) + b'"}'

    response = client.post(
        "/api/v1/tasks/", data=body, headers={"Content-Type": "application/json"}
    )

    assert_error_envelope(response, 413, "payload_too_large")


def test_auth_endpoints_are_rate_limited_by_nginx(client: Client) -> None:
    # Given more token checks at once than the auth zone lets through (5/s, burst 10)
    def verify(_: int) -> requests.Response:
        return client.post("/api/v1/auth/token/verify/", json={"token": "not-a-token"})

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(verify, range(40)))

    # Then the excess is refused by nginx before reaching the application, in the same envelope
    statuses = [r.status_code for r in responses]
    limited = [r for r in responses if r.status_code == 429]
    assert limited, statuses
    assert set(statuses) <= {401, 429}, statuses
    for response in limited:
        error = assert_error_envelope(response, 429, "throttled")
        assert response.headers["Retry-After"] == "1"
        assert error["message"].startswith("Too many requests")


def test_an_unavailable_api_is_a_502_envelope(client: Client, resume_api: None) -> None:
    # Given the api processes are stopped
    supervisorctl("stop", "api")

    # When a client calls the API
    response = client.get("/api/v1/tasks/")

    # Then nginx answers in the application's error shape
    assert_error_envelope(response, 502, "bad_gateway")


def test_a_silent_api_is_a_504_envelope_after_the_read_timeout(
    client: Client, resume_api: None
) -> None:
    # Given the api accepts connections but never answers (every process frozen)
    master = program_pid("api")
    frozen = {master, *child_pids(master)}
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    started = time.monotonic()

    # When a client calls the API
    response = client.get("/api/v1/tasks/", timeout=90)

    # Then nginx gives up after its 30 s read timeout with a 504 envelope
    elapsed = time.monotonic() - started
    for pid in frozen:
        os.kill(pid, signal.SIGCONT)
    assert_error_envelope(response, 504, "gateway_timeout")
    assert 29 <= elapsed < 60, elapsed
