"""The workers' /metrics listeners bind to loopback unless an address is given (bandit B104)."""

import socket

import pytest
from django.core.management import load_command_class

from core.metrics import serve_worker_metrics
from harness import free_port

WORKERS = [("eventstore", "relay_outbox"), ("caching", "flush_writebehind")]


def _options(app: str, name: str, *argv: str) -> dict:
    command = load_command_class(app, name)
    parser = command.create_parser("manage.py", name)
    return vars(parser.parse_args(list(argv)))


@pytest.mark.parametrize(("app", "name"), WORKERS)
def test_metrics_listen_on_loopback_by_default(app: str, name: str, monkeypatch) -> None:
    monkeypatch.delenv("METRICS_ADDR", raising=False)
    assert _options(app, name, "--metrics-port", "9999")["metrics_addr"] == "127.0.0.1"


@pytest.mark.parametrize(("app", "name"), WORKERS)
def test_the_address_comes_from_the_environment_or_the_flag(
    app: str, name: str, monkeypatch
) -> None:
    monkeypatch.setenv("METRICS_ADDR", "10.1.2.3")
    assert _options(app, name)["metrics_addr"] == "10.1.2.3"
    assert _options(app, name, "--metrics-addr", "10.9.8.7")["metrics_addr"] == "10.9.8.7"


def test_no_listener_without_a_port() -> None:
    assert serve_worker_metrics({"metrics_port": 0, "metrics_addr": "127.0.0.1"}) is None


def test_the_listener_is_bound_to_the_given_address() -> None:
    port = free_port()
    server = serve_worker_metrics({"metrics_port": port, "metrics_addr": "127.0.0.1"})
    try:
        assert server is not None
        assert server.server_address == ("127.0.0.1", port)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            client.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
            assert client.recv(64).startswith(b"HTTP/1.0 200")
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
