"""The wire format: client messages parsed strictly, server frames built as RFC 6455 says."""

import socket
from typing import Any

import pytest

from realtime import protocol
from realtime.server import FrameCache, pending_bytes, text_frame, write_now
from tests.realtime.rawsocket import RawSocket


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type": "auth", "token": "t"}', protocol.ClientMessage("auth", token="t")),
        ('{"type": "subscribe", "project": 7}', protocol.ClientMessage("subscribe", project=7)),
        ('{"type": "unsubscribe", "project": 7}', protocol.ClientMessage("unsubscribe", project=7)),
        ('{"type": "ping"}', protocol.ClientMessage("ping")),
    ],
)
def test_valid_messages_parse(text: str, expected: protocol.ClientMessage) -> None:
    assert protocol.parse(text, max_bytes=4096) == expected


@pytest.mark.parametrize(
    "text",
    [None, "", "null", "1", '{"type": 1}', '{"type": "auth", "token": ""}', '{"type": "x"}'],
)
def test_invalid_messages_are_refused(text: str | None) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.parse(text, max_bytes=4096)


def test_size_is_checked_before_decoding() -> None:
    with pytest.raises(protocol.ProtocolError, match="too large"):
        protocol.parse('{"type": "ping"}' + " " * 100, max_bytes=50)


def test_an_event_is_encoded_once_and_carries_its_commit_time() -> None:
    encoder = protocol.EventEncoder(size=2)
    event = {"id": 1, "type": "TaskCreated", "occurred_at": "2026-01-01T00:00:00+00:00"}
    text, committed = encoder(event)
    again, _ = encoder(dict(event))
    assert again is text
    assert text.startswith('{"type":"event","event":{"id":1')
    assert committed == 1767225600.0
    assert encoder({"id": 2, "type": "X"})[1] is None


@pytest.mark.parametrize("length", [0, 125, 126, 65535, 65536, 70000])
def test_frames_parse_back_at_every_length_encoding(length: int) -> None:
    text = "é" * (length // 2) + "x" * (length % 2)
    frame = text_frame(text)
    reader = _FrameReader(frame)
    opcode, payload = reader.frame()
    assert (opcode, payload.decode()) == (1, text)
    assert frame[0] == 0x81  # FIN, text
    assert frame[1] & 0x80 == 0  # servers do not mask


def test_the_frame_cache_returns_the_same_bytes() -> None:
    cache = FrameCache(size=1)
    first = cache("a")
    assert cache("a") is first
    cache("b")
    assert cache("a") is not first


def test_pending_bytes_reads_a_twisted_style_buffer() -> None:
    class Transport:
        dataBuffer = b"x" * 100
        offset = 40
        _tempDataLen = 7

    assert pending_bytes(Transport()) == 67
    assert pending_bytes(object()) == 0


class _FrameReader(RawSocket):
    """RawSocket's frame parser over bytes instead of a connection."""

    def __init__(self, data: bytes) -> None:
        self.buffer = data
        self.sock: Any = socket.socket()
        self.sock.close()


class _Transport:
    """The parts of a Twisted TCP transport that write_now touches."""

    TLS = False
    disconnecting = False
    offset = 0
    _tempDataLen = 0

    def __init__(self, sock: socket.socket) -> None:
        self.socket = sock
        self.dataBuffer = b""
        self.queued: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.queued.append(data)
        self._tempDataLen += len(data)


def test_write_now_sends_at_once_and_queues_only_the_rest() -> None:
    left, right = socket.socketpair()
    left.setblocking(False)
    left.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    try:
        transport = _Transport(left)
        write_now(transport, b"hello")
        assert transport.queued == []
        assert right.recv(100) == b"hello"

        # When the socket is full, the rest is queued, and later writes queue behind it
        big = b"x" * 2_000_000
        write_now(transport, big)
        assert len(transport.queued) == 1
        assert 0 < len(transport.queued[0]) < len(big)
        write_now(transport, b"after")
        assert transport.queued[-1] == b"after"
    finally:
        left.close()
        right.close()


def test_write_now_leaves_tls_to_twisted() -> None:
    left, right = socket.socketpair()
    try:
        transport = _Transport(left)
        transport.TLS = True
        write_now(transport, b"hello")
        assert transport.queued == [b"hello"]
    finally:
        left.close()
        right.close()
