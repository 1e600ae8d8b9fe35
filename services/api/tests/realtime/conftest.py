"""Fixtures of the realtime tests: the consumer under Channels' communicator, the channel layer,
and the REST and relay steps that make events happen."""

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import RefreshToken

from eventstore import relay
from realtime import access, auth, consumers
from realtime.routing import websocket_application
from realtime.shutdown import registry

PATH = "/ws/v1/"


def token_for(user: Any) -> str:
    return str(RefreshToken.for_user(user).access_token)


def socket(origin: str | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode())] if origin else []
    return WebsocketCommunicator(websocket_application(), PATH, headers=headers)


async def connected(user: Any | None = None) -> WebsocketCommunicator:
    """An open socket; authenticated as `user` when one is given."""
    communicator = socket()
    accepted, _ = await communicator.connect()
    assert accepted
    if user is not None:
        await communicator.send_json_to({"type": "auth", "token": await in_sync(token_for)(user)})
        assert await communicator.receive_json_from(timeout=20) == {
            "type": "authenticated",
            "user": user.pk,
        }
    return communicator


async def subscribe(communicator: WebsocketCommunicator, project_id: int) -> dict[str, Any]:
    await communicator.send_json_to({"type": "subscribe", "project": project_id})
    return dict(await communicator.receive_json_from(timeout=5))


async def receive_all(communicator: WebsocketCommunicator, timeout: float = 1.0) -> list[Any]:
    """Every message until none arrives for `timeout` seconds. The socket stays usable (a
    timed-out receive_from would cancel the consumer)."""
    received = []
    for _ in range(10_000):
        if await communicator.receive_nothing(timeout=timeout, interval=0.02):
            break
        received.append(await communicator.receive_json_from())
    return received


async def closed_with(communicator: WebsocketCommunicator, timeout: float = 3.0) -> int | None:
    """The close code the server sent, skipping any messages before it."""
    while True:
        output = await communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output.get("code")


def in_sync(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Runs synchronous code (ORM, REST client, relay) on the test's own thread and database
    connection from inside the async scenario."""
    return sync_to_async(function, thread_sensitive=True)


publish = in_sync(relay.drain)


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return async_to_sync(scenario)()


@pytest.fixture(autouse=True)
def _database_calls_on_the_test_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """In production the consumer's queries run on worker threads, each returning its pooled
    connection after the call. Under Django's test framework a worker thread's connection is not
    returned, so every test would keep one checked out until the pool ran dry; here the same
    functions run on the test's own thread instead (the Daphne tests run the real thing)."""
    monkeypatch.setattr(consumers, "authenticate", database_sync_to_async(auth.user_for_token))
    monkeypatch.setattr(consumers, "workspace_of", database_sync_to_async(access._workspace_of))
    monkeypatch.setattr(
        consumers, "can_read_project", database_sync_to_async(access._can_read_project)
    )


@pytest.fixture(autouse=True)
def _fresh_layer_and_registry() -> Iterator[None]:
    async_to_sync(get_channel_layer().flush)()
    registry.__init__()  # type: ignore[misc]
    yield
    registry.__init__()  # type: ignore[misc]
    async_to_sync(get_channel_layer().flush)()
