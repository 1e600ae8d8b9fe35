"""The REST API through nginx, as a client uses it: what the proxy must preserve end to end."""

from __future__ import annotations

import uuid

from conftest import HTTPS, Client, assert_error_envelope


def create_project(client: Client) -> dict:
    workspace = client.post("/api/v1/workspaces/", json={"name": f"ws-{uuid.uuid4().hex[:8]}"})
    assert workspace.status_code == 201, workspace.text
    project = client.post(
        "/api/v1/projects/", json={"workspace": workspace.json()["id"], "name": "e2e"}
    )
    assert project.status_code == 201, project.text
    return project.json()


def test_a_user_registers_logs_in_and_reads_their_profile(user_client: Client) -> None:
    response = user_client.get("/api/v1/auth/me/")

    assert response.status_code == 200, response.text
    assert response.json()["username"].startswith("e2e-")


def test_pagination_links_point_back_through_nginx(user_client: Client) -> None:
    # Given a project with three tasks
    project = create_project(user_client)
    for number in range(3):
        created = user_client.post(
            "/api/v1/tasks/", json={"project": project["id"], "title": f"task {number}"}
        )
        assert created.status_code == 201, created.text

    # When a client pages through them one at a time, with each pagination strategy
    for query in ("page_size=1", "limit=1&offset=0", "pagination=cursor&page_size=1"):
        first = user_client.get(f"/api/v1/tasks/?project={project['id']}&{query}").json()

        # Then the next link is absolute, on the public scheme, host and port (X-Forwarded-Proto
        # and the Host header with its port reach the application), and it works
        assert first["next"].startswith(f"{HTTPS}/api/v1/tasks/"), first["next"]
        second = user_client.get(first["next"])
        assert second.status_code == 200, second.text
        assert second.json()["results"][0]["id"] != first["results"][0]["id"]


def test_conditional_writes_survive_the_proxy(user_client: Client) -> None:
    # Given a task and its ETag
    project = create_project(user_client)
    task = user_client.post("/api/v1/tasks/", json={"project": project["id"], "title": "etag"})
    assert task.status_code == 201, task.text
    url = f"/api/v1/tasks/{task.json()['id']}/"
    etag = user_client.get(url).headers["ETag"]

    # When it is changed with that ETag, then again with the now stale one
    fresh = user_client.patch(url, json={"status": "in_progress"}, headers={"If-Match": etag})
    stale = user_client.patch(url, json={"status": "done"}, headers={"If-Match": etag})

    # Then the first write wins and the second is refused in the error envelope
    assert fresh.status_code == 200, fresh.text
    assert fresh.headers["ETag"] != etag
    assert_error_envelope(stale, 412, "precondition_failed")


def test_the_audit_trail_records_the_real_client_address(user_client: Client) -> None:
    # Given a task written by a client that claims another address in X-Forwarded-For
    project = create_project(user_client)
    request_id = f"e2e-audit-{uuid.uuid4().hex}"
    created = user_client.post(
        "/api/v1/tasks/",
        json={"project": project["id"], "title": "audited"},
        headers={
            "X-Request-ID": request_id,
            "X-Forwarded-For": "203.0.113.9",
            "User-Agent": "e2e-audit/1.0",
        },
    )
    assert created.status_code == 201, created.text

    # When the workspace owner reads the audit trail
    audit = user_client.get(f"/api/v1/workspaces/{project['workspace']}/audit/")

    # Then the event carries the address nginx saw (NUM_PROXIES=1 trusts nginx's entry only),
    # the client's user agent, and the request id that went through nginx
    assert audit.status_code == 200, audit.text
    (event,) = [e for e in audit.json()["results"] if e["request_id"] == request_id]
    assert event["type"] == "TaskCreated"
    assert event["ip_address"] == user_client.address
    assert event["user_agent"] == "e2e-audit/1.0"


def test_application_errors_pass_through_unchanged(user_client: Client) -> None:
    response = user_client.post("/api/v1/tasks/", json={"title": ""})

    error = assert_error_envelope(response, 400, "validation_error")
    assert "project" in error["details"]
