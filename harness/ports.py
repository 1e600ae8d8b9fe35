"""Loopback ports: one the kernel says is free, and whether something listens on one."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A port nothing listens on now. Another process may take it before the caller binds it;
    the servers started on it fail loudly then (ServerProcess reports their log)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_open(port: int, host: str = LOOPBACK, timeout: float = 0.3) -> bool:
    """Whether a TCP connection to host:port is accepted within `timeout` seconds."""
    try:
        with socket.create_connection((host, port), timeout):
            return True
    except OSError:
        return False
