"""`make dev` as a newcomer runs it: from the repository's root, with nothing configured, on its
own SQLite file and a free port (`make test-dev`; docs/development.md).

The server is started once for the module and stopped at the end (SIGINT to its process group,
as Ctrl-C would, then SIGKILL after a bound), whatever the tests did.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
# Migrating a new SQLite file and loading the demo data take most of this on a busy machine.
START_TIMEOUT = float(os.environ.get("DEV_START_TIMEOUT", "180"))
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class DevServer:
    port: int
    log: Path
    started_in: float

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v1/"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _environment(sqlite_path: Path) -> dict[str, str]:
    """The caller's environment without anything that would point `make dev` at real servers or
    other settings: the embedded defaults, as on a fresh machine."""
    dropped = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTHONPATH", "MAKEFLAGS"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env["SQLITE_PATH"] = str(sqlite_path)
    env["LOG_LEVEL"] = "WARNING"
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    workdir = tmp_path_factory.mktemp("make-dev")
    port = free_port()
    log = workdir / "make-dev.log"
    began = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "dev", f"PORT={port}", "HOST=127.0.0.1"],
            cwd=ROOT,
            env=_environment(workdir / "db.sqlite3"),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: make, runserver and its reloader
        )
    server = DevServer(port=port, log=log, started_in=0.0)
    try:
        deadline = began + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"make dev exited with {process.returncode}:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"make dev did not answer in {START_TIMEOUT:.0f} s:\n{server.log_tail()}"
                )
            try:
                if requests.get(f"{server.http}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        server.started_in = time.monotonic() - began
        print(f"\nmake dev answered after {server.started_in:.1f} s (migrate, seed_demo, serve)")
        yield server
    finally:
        _stop(process)
