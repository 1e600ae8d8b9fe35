"""A WebSocket client of the realtime service, through nginx, speaking the protocol of
docs/websocket.md."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from typing import Any

from conftest import HTTPS, WSS, ssl_context
from websockets.sync.client import ClientConnection, connect


class Socket:
    def __init__(self) -> None:
        self._exit_stack = ExitStack()
        # Origin as a browser on the site would send it (the realtime service checks it).
        self.connection: ClientConnection = self._exit_stack.enter_context(
            connect(
                WSS, ssl=ssl_context(), origin=HTTPS, proxy=None, open_timeout=10, close_timeout=5
            )
        )

    def send(self, **message: Any) -> None:
        self.connection.send(json.dumps(message))

    def receive(self, timeout: float = 10) -> dict[str, Any]:
        return dict(json.loads(self.connection.recv(timeout=timeout)))

    def receive_until(self, wanted: str, timeout: float = 10) -> dict[str, Any]:
        """The next message of type `wanted`, skipping others (events of earlier writes)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {wanted!r} message within {timeout} s")
            message = self.receive(timeout=remaining)
            if message.get("type") == wanted:
                return message

    def authenticate(self, token: str) -> None:
        self.send(type="auth", token=token)

    def subscribe(self, project: int) -> dict[str, Any]:
        self.send(type="subscribe", project=project)
        return self.receive_until("subscribed")

    def close(self) -> None:
        self._exit_stack.close()

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
