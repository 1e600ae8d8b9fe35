"""The realtime service through nginx: upgrade, authentication, subscriptions, live events."""

from __future__ import annotations

import uuid

import pytest
from conftest import Client, register
from realtime_client import Socket
from test_api_flow import create_project
from websockets.exceptions import ConnectionClosed


def test_a_socket_authenticates_subscribes_and_pings(user_client: Client) -> None:
    project = create_project(user_client)

    with Socket() as socket:
        socket.authenticate(user_client.token or "")
        assert socket.subscribe(project["id"]) == {"type": "subscribed", "project": project["id"]}
        socket.send(type="ping")
        assert socket.receive_until("pong") == {"type": "pong"}


def test_a_write_reaches_subscribed_sockets_with_its_request_id(user_client: Client) -> None:
    # Given a socket subscribed to a project
    project = create_project(user_client)
    with Socket() as socket:
        socket.authenticate(user_client.token or "")
        socket.subscribe(project["id"])

        # When a task is created there through the REST API
        request_id = f"e2e-ws-{uuid.uuid4().hex}"
        created = user_client.post(
            "/api/v1/tasks/",
            json={"project": project["id"], "title": "live"},
            headers={"X-Request-ID": request_id},
        )
        assert created.status_code == 201, created.text

        # Then the event arrives on the socket, carrying the request's id
        message = socket.receive_until("event", timeout=15)
        event = message["event"]
        assert event["type"] == "TaskCreated"
        assert event["request_id"] == request_id
        assert set(event) >= {"id", "type", "stream", "version", "data", "occurred_at"}


def test_a_project_of_someone_else_is_forbidden(user_client: Client) -> None:
    # Given a project of another user
    stranger = Client()
    try:
        register(stranger)
        foreign = create_project(stranger)
    finally:
        stranger.close()

    with Socket() as socket:
        socket.authenticate(user_client.token or "")
        socket.send(type="subscribe", project=foreign["id"])

        assert socket.receive_until("error") == {"type": "error", "code": "forbidden"}


def test_a_socket_that_does_not_authenticate_is_closed_with_4401() -> None:
    with Socket() as socket, pytest.raises(ConnectionClosed) as closed:
        # The realtime service waits 5 s for the auth message.
        socket.receive(timeout=15)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
