"""What the realtime service adds to the Daphne process it runs in.

What Daphne does not do by itself:

- Graceful shutdown. Daphne stops its reactor on SIGTERM and drops every socket without a close
  frame. Here SIGTERM first stops the listening sockets (new connections go to other processes),
  closes every open WebSocket with 1012 (service restart: reconnect), waits up to
  REALTIME_DRAIN_SECONDS for the close handshakes, and only then stops the reactor. A second
  SIGTERM or SIGINT stops at once.
- One framing per event. Each event's text is framed once and the same bytes are written to
  every socket (server frames are not masked), instead of once per socket, straight to the socket
  when nothing is queued for it.
- A bound on each socket's outgoing buffer. Daphne's send never waits: what a client does not
  read piles up in the connection's write buffer, without limit. A socket whose buffer holds more
  than REALTIME_SEND_BUFFER_BYTES is closed with 4008 (resync) instead, so a slow or stuck client
  costs at most that much memory; it refetches and reconnects.

All three hook into Daphne only when the application is loaded by Daphne (its server module
installs the Twisted reactor first); under the test communicator or a plain import of Django
nothing changes.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings

from realtime import protocol
from realtime.metrics import CLOSES
from realtime.shutdown import registry

logger = logging.getLogger("realtime.server")

_installed = False


def pending_bytes(transport: Any) -> int:
    """Bytes a Twisted transport holds that the peer has not taken yet."""
    buffered = len(getattr(transport, "dataBuffer", b"")) - getattr(transport, "offset", 0)
    return max(0, buffered) + getattr(transport, "_tempDataLen", 0)


def install() -> bool:
    """Hooks into the running Daphne, once. False when not running under Daphne."""
    global _installed
    if _installed:
        return True
    if "daphne.server" not in sys.modules:
        return False
    from daphne import ws_protocol

    ws_protocol.WebSocketFactory.protocol = _bounded_protocol(ws_protocol.WebSocketProtocol)
    # After startup: the reactor installs its own SIGTERM handler while starting.
    _reactor().callWhenRunning(_take_over_signals)
    _installed = True
    return True


def text_frame(text: str) -> bytes:
    """An unfragmented, unmasked WebSocket text frame (RFC 6455 5.2), as a server sends it."""
    payload = text.encode()
    length = len(payload)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 1 << 16:
        header = bytes((0x81, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + length.to_bytes(8, "big")
    return header + payload


class FrameCache:
    """The frames of the last few messages sent. Every socket of a project is sent the same
    event text (realtime.protocol encodes it once); server frames are not masked, so the same
    bytes serve every socket and the framing is done once per event instead of once per socket."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._frames: OrderedDict[str, bytes] = OrderedDict()

    def __call__(self, text: str) -> bytes:
        frame = self._frames.get(text)
        if frame is None:
            frame = self._frames[text] = text_frame(text)
            if len(self._frames) > self.size:
                self._frames.popitem(last=False)
        return frame


def write_now(transport: Any, data: bytes) -> None:
    """Writes to the socket straight away when nothing is queued before it.

    Twisted's write only queues and asks the event loop to report the socket writable, then sends
    on the next turn: two epoll changes and a callback per message, which with a thousand sockets
    per event is most of the cost of a delivery. A socket with an empty queue almost always takes
    the whole frame at once; whatever it does not take is queued the usual way, behind nothing,
    so the order of bytes is kept.
    """
    sock = getattr(transport, "socket", None)
    if (
        sock is None
        or getattr(transport, "TLS", False)
        or getattr(transport, "disconnecting", True)
        or pending_bytes(transport)
    ):
        transport.write(data)
        return
    try:
        sent = sock.send(data)
    except BlockingIOError:
        sent = 0
    except OSError:
        transport.write(data)  # Twisted reports the failure through its own path
        return
    if sent < len(data):
        transport.write(data[sent:])


def _bounded_protocol(base: type) -> type:
    frames = FrameCache()

    class BoundedWebSocketProtocol(base):
        fell_behind = False

        def serverSend(self, content: Any, binary: bool = False) -> None:
            if self.fell_behind:
                return
            if self.state != self.STATE_OPEN or binary:
                super().serverSend(content, binary)
                return
            if pending_bytes(self.transport) > settings.REALTIME_SEND_BUFFER_BYTES:
                self.fell_behind = True
                CLOSES.labels(str(protocol.CLOSE_RESYNC)).inc()
                logger.warning("websocket %s fell behind; closing it to resync", self.client_addr)
                # The close frame queues behind what the client has not read; if it does not
                # answer, the close handshake times out and the connection is dropped.
                self.sendClose(code=protocol.CLOSE_RESYNC, reason="fell behind")
                return
            # What autobahn's sendMessage would write for a text message (this protocol never
            # fragments or compresses), without building it again for every socket.
            write_now(self.transport, frames(content))

        def serverClose(self, code: int | None = None) -> None:
            # Autobahn's sendClose accepts only 1000 and 3000-4999; 1012 (service restart) is
            # a registered code all the same, so its frame is sent directly.
            if code in _REGISTERED_CODES and self.state == self.STATE_OPEN:
                self.sendCloseFrame(code=code, isReply=False)
                return
            super().serverClose(code)

    return BoundedWebSocketProtocol


_REGISTERED_CODES = frozenset({1001, 1008, 1009, 1011, 1012, 1013})


def _reactor() -> Any:
    """Twisted's global reactor: Daphne's asyncio reactor, installed before this is called."""
    from twisted.internet import reactor

    return reactor


def _take_over_signals() -> None:
    if threading.current_thread() is not threading.main_thread():
        # Daphne under runserver's autoreloader runs in a thread; the reloader owns the signals.
        return

    def on_signal(signum: int, frame: Any) -> None:
        _reactor().callFromThread(_begin_shutdown, signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


_shutting_down = False
# Holds the drain task: the event loop keeps only a weak reference to it.
_running: list[asyncio.Future[None]] = []


def _begin_shutdown(signum: int) -> None:
    global _shutting_down
    if _shutting_down:
        logger.info("second signal: stopping now")
        _reactor().stop()
        return
    _shutting_down = True
    stopped = _stop_listening()
    logger.info(
        "signal %s: stopped %s listener(s), closing %s socket(s) with %s",
        signum,
        stopped,
        len(registry),
        protocol.CLOSE_SERVICE_RESTART,
    )
    _running.append(asyncio.ensure_future(_drain_then_stop()))


def _stop_listening() -> int:
    from twisted.internet import tcp

    ports = [r for r in _reactor().getReaders() if isinstance(r, tcp.Port)]
    for port in ports:
        port.stopListening()
    return len(ports)


async def _drain_then_stop() -> None:
    try:
        await registry.close_all(protocol.CLOSE_SERVICE_RESTART)
        closed = await registry.wait_closed(settings.REALTIME_DRAIN_SECONDS)
        if not closed:
            logger.warning("%s socket(s) still open after the drain; dropping them", len(registry))
    finally:
        _reactor().stop()
