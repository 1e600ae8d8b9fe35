"""`make dev` as a newcomer runs it: from the repository's root, with nothing configured, on its
own SQLite file and a free port (`make test-dev`; docs/development.md).

The server is started once for the module and stopped at the end (SIGINT to its process group,
as Ctrl-C would, then SIGKILL after a bound), whatever the tests did.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import ProcessStartError, ServerProcess, free_port, log_tail

ROOT = Path(__file__).resolve().parents[2]
# Migrating a new SQLite file and loading the demo data take most of this on a busy machine.
START_TIMEOUT = float(os.environ.get("DEV_START_TIMEOUT", "180"))
STOP_TIMEOUT = 20.0


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
        return log_tail(self.log, lines)


def _environment(sqlite_path: Path, extra: dict[str, str]) -> dict[str, str]:
    """The caller's environment without anything that would point `make dev` at real servers or
    other settings: the embedded defaults, as on a fresh machine (plus `extra`, if a test says)."""
    dropped = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTHONPATH", "MAKEFLAGS"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env["SQLITE_PATH"] = str(sqlite_path)
    env["LOG_LEVEL"] = "WARNING"
    return env | extra


@contextmanager
def running_make_dev(workdir: Path, extra_env: dict[str, str] | None = None) -> Iterator[DevServer]:
    """`make dev` on a free port and its own SQLite file in `workdir`, stopped on exit."""
    port = free_port()
    server = DevServer(port=port, log=workdir / "make-dev.log", started_in=0.0)
    # Its own process group: make, runserver and its reloader, all stopped with SIGINT as Ctrl-C
    # would stop them.
    process = ServerProcess(
        "make dev",
        ["make", "--no-print-directory", "dev", f"PORT={port}", "HOST=127.0.0.1"],
        cwd=ROOT,
        env=_environment(workdir / "db.sqlite3", extra_env or {}),
        log=server.log,
    ).start()
    try:
        try:
            server.started_in = process.wait_http(f"{server.http}/healthz", START_TIMEOUT)
        except ProcessStartError as error:
            pytest.fail(f"make dev did not come up: {error}")
        print(f"\nmake dev answered after {server.started_in:.1f} s (migrate, seed_demo, serve)")
        yield server
    finally:
        process.stop(timeout=STOP_TIMEOUT, signum=signal.SIGINT)


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    with running_make_dev(tmp_path_factory.mktemp("make-dev")) as server:
        yield server
