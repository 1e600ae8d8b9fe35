"""End-to-end tests against the native stack (`make test-stack`; docs/local-stack.md).

The suite starts the stack when it does not run (and stops it again at the end, unless
STACK_KEEP=1), then talks to it the way clients do: HTTPS through nginx, trusting the stack's
development CA. Every test gets its own loopback source address (127.x.y.z), so that nginx's
rate limit and the application's per-address throttles count each test apart and the suite can
run again straight away.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parents[2]
STACK_DIR = Path(os.environ.get("STACK_DIR", ROOT / ".stack"))
STACK_SH = ROOT / "scripts" / "stack" / "stack.sh"
CA_FILE = STACK_DIR / "certs" / "ca.crt"
SUPERVISOR_CONF = STACK_DIR / "supervisor" / "supervisord.conf"
SUPERVISORCTL = ROOT / ".venv" / "bin" / "supervisorctl"

HTTPS = "https://127.0.0.1:8443"
HTTP = "http://127.0.0.1:8080"
WSS = "wss://127.0.0.1:8443/ws/v1/"
API_DIRECT = "http://127.0.0.1:8010"
PROMETHEUS = "http://127.0.0.1:9090"
ALERTMANAGER = "http://127.0.0.1:9093"

NGINX_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
PASSWORD = "e2e-Password-2468!"  # noqa: S105 - a throwaway user's password on a local stack

sys.path.insert(0, str(ROOT / "scripts" / "stack"))


def stack(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(STACK_SH), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def supervisorctl(*args: str, timeout: float = 90) -> str:
    result = subprocess.run(
        [str(SUPERVISORCTL), "-c", str(SUPERVISOR_CONF), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return result.stdout


def program_pid(program: str) -> int:
    pid = int(supervisorctl("pid", program).strip() or 0)
    assert pid > 0, f"{program} is not running"
    return pid


def child_pids(pid: int) -> set[int]:
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.update(int(child) for child in text)
    return children


def wait_until(
    condition: Callable[[], Any], timeout: float, interval: float = 0.5, message: str = ""
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(message or f"condition not met within {timeout} s")
        time.sleep(interval)


def wait_ready(timeout: float = 90) -> None:
    """Every program RUNNING and answering on its endpoint."""
    wait_until(lambda: stack("status", timeout=60).returncode == 0, timeout, interval=1)


def random_loopback_address() -> str:
    # 127.0.0.0/8 is all loopback on Linux; avoid 127.0.0.x, which other local tools use.
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a given local address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


@dataclass
class Client:
    """An HTTP client of the stack, connecting from its own loopback address."""

    address: str = field(default_factory=random_loopback_address)
    token: str | None = None

    def __post_init__(self) -> None:
        self.session = requests.Session()
        adapter = SourceAddressAdapter(self.address)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        if not url.startswith("http"):
            url = HTTPS + url
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        kwargs.setdefault("timeout", 60)
        # Per request: requests lets REQUESTS_CA_BUNDLE override a session's own verify.
        kwargs.setdefault("verify", str(CA_FILE))
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", url, **kwargs)

    def close(self) -> None:
        self.session.close()


def register(client: Client) -> dict[str, Any]:
    """Registers a fresh user from the client's address and authenticates the client as it."""
    username = f"e2e-{uuid.uuid4().hex[:12]}"
    response = client.post(
        "/api/v1/auth/register/",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    response = client.post("/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.token = response.json()["access"]
    return {"username": username, **response.json()}


def assert_error_envelope(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details", "request_id"}, error
    assert error["code"] == code, error
    assert error["message"], error
    assert isinstance(error["details"], dict), error
    assert error["request_id"] == response.headers["X-Request-ID"], (error, response.headers)
    return error


def ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(CA_FILE))


@pytest.fixture(scope="session", autouse=True)
def running_stack() -> Iterator[None]:
    """The native stack, started for the session when it was not already running."""
    started = False
    if stack("status", timeout=60).returncode != 0:
        result = stack("up", timeout=900)
        assert result.returncode == 0, f"stack up failed:\n{result.stdout}\n{result.stderr}"
        started = True
    yield
    if started and os.environ.get("STACK_KEEP") != "1":
        result = stack("down", timeout=300)
        assert result.returncode == 0, f"stack down failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def client() -> Iterator[Client]:
    client = Client()
    yield client
    client.close()


@pytest.fixture
def user_client() -> Iterator[Client]:
    """A client authenticated as a user registered for the test."""
    client = Client()
    register(client)
    yield client
    client.close()


@pytest.fixture
def resume_api() -> Iterator[None]:
    """Puts the api program back in service after a test that stops or freezes it."""
    yield
    pid = int(supervisorctl("pid", "api").strip() or 0)
    if pid > 0:
        for process in {pid, *child_pids(pid)}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process, signal.SIGCONT)
    supervisorctl("start", "api")
    wait_ready()
