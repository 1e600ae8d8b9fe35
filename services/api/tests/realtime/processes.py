"""Real processes for the realtime tests: Daphne serving config.asgi and the outbox relay, both
against the test database and Redis that pytest-django set up."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

from harness import ServerProcess, free_port, wait_until

API_DIR = Path(__file__).resolve().parents[2]
REALTIME_DIR = API_DIR.parent / "realtime"
BIN = Path(sys.executable).parent


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


class Process(ServerProcess):
    """A child process of the test, in API_DIR; stop() (SIGTERM, then SIGKILL) ends it and what
    it started. `signal` reaches the process alone, as a graceful-shutdown test needs."""

    def __init__(self, command: Sequence[str], env: dict[str, str], name: str) -> None:
        super().__init__(name, command, env=env, cwd=API_DIR)
        self.start()

    def signal(self, signum: int) -> None:
        self.send_signal(signum)


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
        try:
            self.wait_http(f"{self.http}/healthz", timeout=30)
        except BaseException:
            self.stop()
            raise

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


# The tests' name for the shared bounded poll.
wait_for = wait_until
