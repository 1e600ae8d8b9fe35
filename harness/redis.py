"""A private redis-server: loopback, no persistence, in the foreground, on a port of its own."""

from __future__ import annotations

import socket
from pathlib import Path

from harness.ports import LOOPBACK
from harness.processes import ServerProcess


def redis_answers(port: int, host: str = LOOPBACK) -> bool:
    """Whether a redis-server on host:port answers PING (a listening socket is not enough: it
    refuses commands while it loads)."""
    try:
        with socket.create_connection((host, port), 0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis_server(
    port: int,
    *,
    binary: str = "redis-server",
    log: Path | None = None,
    own_group: bool = True,
    timeout: float = 30.0,
) -> ServerProcess:
    """redis-server on 127.0.0.1:`port`, started and answering PING within `timeout` seconds
    (ProcessStartError, with its log, otherwise)."""
    server = ServerProcess(
        f"redis-server:{port}",
        [
            *(binary, "--port", str(port), "--bind", LOOPBACK),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
        ],
        log=log,
        own_group=own_group,
    ).start()
    try:
        server.wait_ready(lambda: redis_answers(port), timeout, interval=0.05)
    except BaseException:
        server.stop()
        raise
    return server
