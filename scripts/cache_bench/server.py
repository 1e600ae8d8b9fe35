"""The api under Gunicorn with its production configuration file, as the benchmark runs it."""

from __future__ import annotations

import http.client
import os
import re
import runpy
import tempfile
from pathlib import Path

from cache_bench.config import API_DIR, GUNICORN
from harness import ServerProcess, free_port


def django_env(scratch_url: str, secret_key: str, redis_url: str) -> dict[str, str]:
    """The environment of the api: production settings against the scratch database."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": scratch_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "bench",
        "LOG_LEVEL": "WARNING",
        "THROTTLE_RATE_ANON": "100000000/hour",
        "THROTTLE_RATE_USER": "100000000/hour",
        "THROTTLE_RATE_BURST": "100000000/minute",
        "THROTTLE_RATE_SUSTAINED": "100000000/hour",
        "PYTHONPATH": str(API_DIR),
    }


class Server:
    """The api under Gunicorn with its production configuration file."""

    def __init__(
        self, env: dict[str, str], cache_enabled: bool, log_dir: Path | None = None
    ) -> None:
        self.port = free_port()
        self.metrics_dir = tempfile.TemporaryDirectory(prefix="bench-cache-metrics-")
        self.env = {
            **os.environ,
            **env,
            "CACHE_ENABLED": "true" if cache_enabled else "false",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir.name,
        }
        log = None
        if log_dir is not None:
            log = log_dir / f"gunicorn-cache-{'on' if cache_enabled else 'off'}.log"
        # Its stderr (Gunicorn's own log) in a file; stdout, where nothing is wanted during a
        # measurement, nowhere.
        self.process = ServerProcess(
            "gunicorn",
            [str(GUNICORN), "--config", "gunicorn.conf.py", "config.wsgi:application"],
            cwd=API_DIR,
            env=self.env,
            log=log,
            log_stdout=False,
        )

    def __enter__(self) -> Server:
        self.process.start()
        try:
            self.process.wait_http(f"http://127.0.0.1:{self.port}/healthz", timeout=60)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.stop(timeout=60)
        self.metrics_dir.cleanup()

    def get(self, path: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def describe(self) -> str:
        """Workers, class and threads as gunicorn.conf.py resolves them in this environment."""
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            config = runpy.run_path(str(API_DIR / "gunicorn.conf.py"))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return (
            f"{config['workers']} workers x {config['threads']} threads ({config['worker_class']})"
        )

    def cache_totals(self) -> dict[str, dict[str, float]]:
        status, body = self.get("/metrics")
        if status != 200:
            raise RuntimeError(f"/metrics answered {status}")
        totals: dict[str, dict[str, float]] = {"redis errors": {"errors": 0.0}}
        pattern = re.compile(r'^cache_requests_total\{cache="(\w+)",result="(\w+)"\} (\S+)$')
        errors = re.compile(r"^cache_errors_total\{[^}]*\} (\S+)$")
        for line in body.decode().splitlines():
            match = pattern.match(line)
            if match:
                cache, result, value = match.groups()
                totals.setdefault(cache, {"hit": 0.0, "miss": 0.0})[result] = float(value)
            elif errors.match(line):
                totals["redis errors"]["errors"] += float(line.rsplit(" ", 1)[1])
        return totals
