"""Real processes for the realtime tests: Daphne serving config.asgi and the outbox relay, both
against the test database and Redis that pytest-django set up."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.db import connection

API_DIR = Path(__file__).resolve().parents[2]
REALTIME_DIR = API_DIR.parent / "realtime"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_database_url() -> str:
    """The URL of the database pytest-django created (test_<name>), for child processes."""
    params = connection.settings_dict
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return (
        f"postgres://{params['USER']}{password}@{params['HOST'] or '127.0.0.1'}:"
        f"{params['PORT'] or 5432}/{params['NAME']}"
    )


def child_environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PROMETHEUS_MULTIPROC_DIR", "DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        TEST_DATABASE_URL=test_database_url(),
        TEST_REDIS_URL=settings.REDIS_URL,
        PYTHONPATH=os.pathsep.join([str(API_DIR), str(REALTIME_DIR)]),
        SERVICE_NAME="realtime",
        LOG_LEVEL="WARNING",
        DB_POOL_MIN_SIZE="1",
        DB_POOL_MAX_SIZE="4",
    )
    env.update(extra)
    return env


class Process:
    """A child process, stopped with SIGTERM (then SIGKILL) when the test is done with it."""

    def __init__(self, command: Sequence[str], env: dict[str, str], name: str) -> None:
        self.name = name
        self.popen = subprocess.Popen(  # noqa: S603 - the project's own processes
            list(command),
            cwd=API_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def signal(self, signum: int) -> None:
        self.popen.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def output(self) -> str:
        if self.popen.poll() is None:
            return ""
        return self.popen.stdout.read() if self.popen.stdout else ""

    def stop(self, timeout: float = 15) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


class Daphne(Process):
    def __init__(self, *options: str, **env: str) -> None:
        self.port = free_port()
        super().__init__(
            [
                str(BIN / "daphne"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                *options,
                "config.asgi:application",
            ],
            child_environment(**env),
            "daphne",
        )
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/ws/v1/"
        self._wait_until_up(timeout=30)

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"daphne exited: {self.output()}")
            try:
                if requests.get(f"{self.http}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"daphne did not answer within {timeout} s")

    def metric(self, name: str, labels: str = "") -> float:
        """One sample of the process's /metrics (0 when it has none yet)."""
        text = requests.get(f"{self.http}/metrics", timeout=5).text
        pattern = re.compile(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", re.MULTILINE)
        match = pattern.search(text)
        return float(match.group(1)) if match else 0.0


class Relay(Process):
    def __init__(self) -> None:
        super().__init__(
            [sys.executable, "manage.py", "relay_outbox", "--poll-seconds", "1"],
            child_environment(SERVICE_NAME="relay"),
            "relay",
        )


def wait_for(predicate: Any, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
