"""The realtime service as it runs: a real Daphne process serving config.asgi, real WebSocket
clients, the REST API on the same port, the outbox relay and Redis in between."""

import datetime
import json
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from eventstore import relay
from realtime import protocol
from tests.conftest import requires_postgres, requires_redis
from tests.factories import PASSWORD
from tests.realtime.conftest import token_for
from tests.realtime.processes import Daphne, wait_for
from tests.realtime.rawsocket import RawSocket

pytestmark = [requires_redis, requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def daphne(django_db_setup: None, django_db_blocker: Any) -> Iterator[Daphne]:
    # Short timings so that the heartbeat and the auth timeout show within a test.
    server = Daphne(
        "--ping-interval",
        "1",
        "--ping-timeout",
        "1",
        REALTIME_AUTH_TIMEOUT="1",
        REALTIME_SEND_BUFFER_BYTES=str(64 * 1024),
    )
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _flushed_layer() -> Iterator[None]:
    async_to_sync(get_channel_layer().flush)()
    yield
    async_to_sync(get_channel_layer().flush)()


class Client:
    def __init__(self, url: str, origin: str | None = None) -> None:
        self.connection: ClientConnection = connect(
            url,
            origin=origin,
            open_timeout=10,
            close_timeout=5,
            legacy=True,  # type: ignore[arg-type]
        )

    def send(self, **message: Any) -> None:
        self.connection.send(json.dumps(message))

    def receive(self, timeout: float = 10) -> dict[str, Any]:
        return dict(json.loads(self.connection.recv(timeout=timeout)))

    def authenticate(self, user: Any) -> None:
        self.send(type="auth", token=token_for(user))
        assert self.receive() == {"type": "authenticated", "user": user.pk}

    def subscribe(self, project: int) -> None:
        self.send(type="subscribe", project=project)
        assert self.receive() == {"type": "subscribed", "project": project}

    def close_code(self, timeout: float = 10) -> int | None:
        try:
            for _ in range(1000):
                self.connection.recv(timeout=timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        raise AssertionError("the server did not close the socket")

    def close(self) -> None:
        self.connection.close()


def test_http_endpoints_answer_on_the_daphne_port(daphne: Daphne) -> None:
    assert requests.get(f"{daphne.http}/healthz", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{daphne.http}/readyz", timeout=5).status_code == 200
    metrics = requests.get(f"{daphne.http}/metrics", timeout=5).text
    assert "ws_connections_active" in metrics
    board = requests.get(f"{daphne.http}/live/", timeout=5)
    assert board.status_code == 200
    assert "script-src 'self'" in board.headers["Content-Security-Policy"]


def test_a_rest_write_reaches_the_socket_with_its_request_id(daphne: Daphne, team: Any) -> None:
    # Given a socket that follows the project
    client = Client(daphne.ws, origin=daphne.http)
    client.authenticate(team.member)
    client.subscribe(team.project.pk)
    assert daphne.metric("ws_connections_active") == 1
    sent_before = daphne.metric("ws_messages_sent_total", '{type="event"}')

    # When a task is created and renamed through the REST API on the same port
    headers = {"Authorization": f"Bearer {token_for(team.member)}"}
    created = requests.post(
        f"{daphne.http}/api/v1/tasks/",
        json={"project": team.project.pk, "title": "live"},
        headers={**headers, "X-Request-ID": "rt-create"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    renamed = requests.patch(
        f"{daphne.http}/api/v1/tasks/{created.json()['id']}/",
        json={"title": "renamed"},
        headers={**headers, "X-Request-ID": "rt-rename"},
        timeout=10,
    )
    assert renamed.status_code == 200, renamed.text
    assert relay.drain() == 2

    # Then both events arrive in order with their request ids, and the metrics count them
    events = [client.receive()["event"], client.receive()["event"]]
    assert [(e["type"], e["version"], e["request_id"]) for e in events] == [
        ("TaskCreated", 1, "rt-create"),
        ("TaskRenamed", 2, "rt-rename"),
    ]
    assert daphne.metric("ws_messages_sent_total", '{type="event"}') == sent_before + 2
    assert daphne.metric("event_delivery_latency_seconds_count") >= 2
    client.close()
    assert wait_for(lambda: daphne.metric("ws_connections_active") == 0, timeout=5)


def test_a_socket_that_does_not_authenticate_is_closed_with_4401(daphne: Daphne) -> None:
    client = Client(daphne.ws)
    assert client.close_code() == protocol.CLOSE_UNAUTHENTICATED


def test_a_foreign_origin_is_refused_at_the_handshake(daphne: Daphne) -> None:
    with pytest.raises(Exception, match="403"):
        Client(daphne.ws, origin="https://evil.example")


def test_the_heartbeat_drops_a_dead_peer_and_keeps_a_live_one(daphne: Daphne, team: Any) -> None:
    # Given a live client (its library answers pings) and a dead one (it never does)
    live = Client(daphne.ws)
    live.authenticate(team.member)
    dead = RawSocket(daphne.port)
    dead.send_json({"type": "auth", "token": token_for(team.viewer)})
    assert dead.receive_json()["type"] == "authenticated"
    assert daphne.metric("ws_connections_active") == 2

    # When the server's pings go unanswered (interval 1 s, timeout 1 s here)
    dropped = wait_for(lambda: daphne.metric("ws_connections_active") == 1, timeout=15)

    # Then the dead peer is gone and the live one still answers
    assert dropped
    live.send(type="ping")
    assert live.receive() == {"type": "pong"}
    live.close()
    dead.close()


def test_a_client_that_stops_reading_is_closed_with_4008(daphne: Daphne, team: Any) -> None:
    # Given a subscribed client with a tiny receive buffer that stops reading
    stuck = RawSocket(daphne.port, receive_buffer=4096)
    stuck.send_json({"type": "auth", "token": token_for(team.member)})
    assert stuck.receive_json()["type"] == "authenticated"
    stuck.send_json({"type": "subscribe", "project": team.project.pk})
    assert stuck.receive_json()["type"] == "subscribed"
    closes_before = daphne.metric("ws_closes_total", f'{{code="{protocol.CLOSE_RESYNC}"}}')

    # When far more is published than its buffers hold (64 KiB allowed here)
    group = f"project.{team.project.pk}"
    body = "x" * 32_000
    layer = get_channel_layer()

    async def flood() -> None:
        for version in range(1, 301):
            event = {
                "id": 900_000 + version,
                "type": "TaskDescribed",
                "stream": "task-900000",
                "version": version,
                "data": {"description": body},
                "occurred_at": timezone.now().isoformat(),
                "request_id": "",
            }
            await layer.group_send(group, {"type": "event.message", "group": group, "event": event})

    async_to_sync(flood)()

    # Then the server closes it with 4008 rather than buffering without end
    assert wait_for(
        lambda: (
            daphne.metric("ws_closes_total", f'{{code="{protocol.CLOSE_RESYNC}"}}')
            == closes_before + 1
        ),
        timeout=20,
    )
    assert wait_for(lambda: daphne.metric("ws_connections_active") == 0, timeout=15)
    stuck.close()


def test_sigterm_tells_every_socket_to_reconnect_and_exits(team: Any) -> None:
    # Given a server of its own with three open sockets
    server = Daphne(REALTIME_DRAIN_SECONDS="5")
    try:
        clients = [Client(server.ws) for _ in range(3)]
        for client in clients:
            client.authenticate(team.member)
        clients[0].subscribe(team.project.pk)

        # When it is sent SIGTERM
        started = time.monotonic()
        server.signal(signal.SIGTERM)

        # Then every socket is closed with 1012, and the process exits cleanly and soon
        assert [client.close_code() for client in clients] == [1012, 1012, 1012]
        assert server.wait(timeout=15) == 0
        print(f"drained and exited in {time.monotonic() - started:.2f} s")
        with pytest.raises(ConnectionRefusedError):
            Client(server.ws)
    finally:
        server.stop()


def test_a_unique_request_id_is_what_arrives(daphne: Daphne, team: Any) -> None:
    # The request id is the caller's, end to end, even when it is generated by the server.
    client = Client(daphne.ws)
    client.authenticate(team.owner)
    client.subscribe(team.project.pk)
    request_id = uuid.uuid4().hex
    response = requests.post(
        f"{daphne.http}/api/v1/tasks/",
        json={"project": team.project.pk, "title": "x"},
        headers={"Authorization": f"Bearer {token_for(team.owner)}", "X-Request-ID": request_id},
        timeout=10,
    )
    assert response.status_code == 201
    relay.drain()
    assert client.receive()["event"]["request_id"] == request_id
    client.close()


# --- sessions end when access ends (accounts/sessions.py) ------------------------------------

# The bound the sockets promise after a session ends; measured from the moment the change
# returned (REST answer, or the commit in this process).
SESSION_END_BOUND_SECONDS = 1.0


def _short_lived_token(user: Any, seconds: int) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=datetime.timedelta(seconds=seconds))
    return str(token)


def _login(daphne: Daphne, user: Any) -> dict[str, str]:
    response = requests.post(
        f"{daphne.http}/api/v1/auth/token/",
        json={"username": user.username, "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_password_change_closes_the_open_socket_at_once(daphne: Daphne, team: Any) -> None:
    # Given a subscribed socket and the user's REST session, both on the Daphne port
    pair = _login(daphne, team.member)
    client = Client(daphne.ws)
    client.send(type="auth", token=pair["access"])
    assert client.receive() == {"type": "authenticated", "user": team.member.pk}
    client.subscribe(team.project.pk)

    # When the password is changed through the REST API
    changed = requests.post(
        f"{daphne.http}/api/v1/auth/password/",
        json={"old_password": PASSWORD, "new_password": "a-new-long-passphrase-8"},
        headers={"Authorization": f"Bearer {pair['access']}"},
        timeout=10,
    )
    assert changed.status_code == 204, changed.text

    # Then the socket is closed with 4401 within the bound, and the old token is refused
    assert client.close_code(timeout=SESSION_END_BOUND_SECONDS) == protocol.CLOSE_UNAUTHENTICATED
    old = requests.get(
        f"{daphne.http}/api/v1/auth/me/",
        headers={"Authorization": f"Bearer {pair['access']}"},
        timeout=10,
    )
    assert old.status_code == 401
    assert old.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize("change", ["deactivation", "deletion"])
def test_deactivation_or_deletion_closes_the_open_socket_at_once(
    daphne: Daphne, team: Any, change: str
) -> None:
    client = Client(daphne.ws)
    client.authenticate(team.member)
    client.subscribe(team.project.pk)

    # When an administrator deactivates or deletes the account (another process: this one)
    if change == "deactivation":
        team.member.is_active = False
        team.member.save()
    else:
        team.member.delete()

    assert client.close_code(timeout=SESSION_END_BOUND_SECONDS) == protocol.CLOSE_UNAUTHENTICATED


def test_the_socket_closes_at_token_expiry_unless_a_fresh_token_arrives(
    daphne: Daphne, team: Any
) -> None:
    # Given two sockets authenticated with tokens that expire in 2 s
    forgetful, diligent = Client(daphne.ws), Client(daphne.ws)
    for client in (forgetful, diligent):
        client.send(type="auth", token=_short_lived_token(team.member, 2))
        assert client.receive()["type"] == "authenticated"

    # When only one of them sends a fresh token before the expiry
    diligent.send(type="auth", token=token_for(team.member))
    assert diligent.receive() == {"type": "authenticated", "user": team.member.pk}

    # Then the other is closed with 4401 at the expiry (pings do not keep it), and the first lives
    forgetful.send(type="ping")
    assert forgetful.receive() == {"type": "pong"}
    assert forgetful.close_code(timeout=3 + SESSION_END_BOUND_SECONDS) == 4401
    diligent.send(type="ping")
    assert diligent.receive() == {"type": "pong"}
    diligent.close()
