"""A private copy of the platform for fault injection: its own PostgreSQL cluster, its own Redis
server and the application processes (Gunicorn, Daphne, the relay and flusher workers) under
their own supervisord, all on ports of their own. The shared servers (PostgreSQL on 5432, Redis
on 6379) and the native stack (`make stack-up`) are never touched, so faults can be injected
while other tests run.

Ports, by default (FAULT_*_PORT overrides each): PostgreSQL 5440, Redis 6390, api 8110,
realtime 8111, relay metrics 9211, flusher metrics 9212. State lives in a temporary folder
(FAULT_STATE_DIR to keep it somewhere), removed on stop unless FAULT_KEEP=1.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from harness import log_tail, port_open, wait_until

ROOT = Path(__file__).resolve().parents[2]
API_DIR = ROOT / "services" / "api"
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(f"FAULT_{name}_PORT", default))


@dataclass(frozen=True)
class Ports:
    postgres: int = field(default_factory=lambda: _port("POSTGRES", 5440))
    redis: int = field(default_factory=lambda: _port("REDIS", 6390))
    api: int = field(default_factory=lambda: _port("API", 8110))
    realtime: int = field(default_factory=lambda: _port("REALTIME", 8111))
    relay_metrics: int = field(default_factory=lambda: _port("RELAY", 9211))
    flusher_metrics: int = field(default_factory=lambda: _port("FLUSHER", 9212))

    def all(self) -> dict[str, int]:
        return dict(self.__dict__)


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _postgres_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = candidates[0] if candidates else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found (install the PostgreSQL server package)")
    return found


class PrivateStack:
    """Start, break and stop the private stack. Every method is bounded in time."""

    def __init__(self, *, api_workers: int = 2, ports: Ports | None = None) -> None:
        self.ports = ports or Ports()
        self.api_workers = api_workers
        state = os.environ.get("FAULT_STATE_DIR")
        self.dir = Path(state) if state else Path(tempfile.mkdtemp(prefix="taskboard-faults-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        self.pgdata = self.dir / "pg"
        self.supervisor_conf = self.dir / "supervisord.conf"
        self.database_url = f"postgres://postgres@127.0.0.1:{self.ports.postgres}/taskboard"
        self.redis_url = f"redis://127.0.0.1:{self.ports.redis}/0"
        self.api_url = f"http://127.0.0.1:{self.ports.api}"
        self.ws_url = f"ws://127.0.0.1:{self.ports.realtime}/ws/v1/"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self._secret = secrets.token_urlsafe(64)

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        busy = {name: port for name, port in self.ports.all().items() if port_open(port)}
        if busy:
            raise RuntimeError(f"ports already in use: {busy} (set FAULT_*_PORT to others)")
        say(f"private stack in {self.dir}: ports {self.ports.all()}")
        self._init_postgres()
        self.postgres_start()
        self._run_sql_admin("CREATE DATABASE taskboard")
        self.redis_start()
        self._migrate()
        self._write_supervisor_conf()
        subprocess.run(
            [str(VENV / "bin" / "supervisord"), "-c", str(self.supervisor_conf)],
            check=True,
            timeout=30,
            env=self._env(),
        )
        self.wait_ready(120)
        say("private stack ready")

    def stop(self) -> None:
        say("stopping the private stack")
        if (self.dir / "supervisord.pid").exists():
            self.supervisorctl("shutdown", timeout=90)
            self._wait_gone(self.dir / "supervisord.pid", 60)
        with contextlib.suppress(Exception):
            self.redis_stop()
        with contextlib.suppress(Exception):
            self.postgres_stop()
        if os.environ.get("FAULT_KEEP") != "1" and not os.environ.get("FAULT_STATE_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PrivateStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- PostgreSQL ---------------------------------------------------------------------------

    def _init_postgres(self) -> None:
        self.pgdata.mkdir()
        if self._as_postgres:
            shutil.chown(self.pgdata, "postgres", "postgres")
        subprocess.run(
            [
                *self._as_postgres,
                _postgres_bin("initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
            check=True,
            timeout=120,
            capture_output=True,
        )

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [
                *self._as_postgres,
                _postgres_bin("pg_ctl"),
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                str(int(timeout)),
                *args,
            ],
            check=True,
            timeout=timeout + 10,
            capture_output=True,
        )

    def postgres_start(self) -> None:
        options = (
            f"-p {self.ports.postgres} -k {self.pgdata} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200"
        )
        self._pg_ctl("-o", options, "-l", str(self.pgdata / "server.log"), "start")

    def postgres_stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    def _run_sql_admin(self, statement: str) -> None:
        url = f"postgres://postgres@127.0.0.1:{self.ports.postgres}/postgres"
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def sql(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, connect_timeout=3) as conn:
            return list(conn.execute(query, params).fetchall())  # type: ignore[arg-type]

    def outbox_backlog(self) -> int | None:
        try:
            return int(
                self.sql(
                    "SELECT count(*) FROM eventstore_outboxmessage WHERE published_at IS NULL"
                )[0][0]
            )
        except psycopg.Error:
            return None

    # --- Redis ----------------------------------------------------------------------------------

    def redis_start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.ports.redis),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--dir",
                str(self.dir),
                "--pidfile",
                str(self.dir / "redis.pid"),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            check=True,
            timeout=30,
        )
        if not wait_until(lambda: port_open(self.ports.redis), timeout=20):
            raise RuntimeError("redis-server did not start")

    def redis_stop(self) -> None:
        """An outage, not a maintenance: nothing is saved, every key is gone when it returns."""
        subprocess.run(
            ["redis-cli", "-p", str(self.ports.redis), "shutdown", "nosave"],
            timeout=15,
            capture_output=True,
            check=False,
        )
        self._wait_gone(self.dir / "redis.pid", 15)

    # --- the application processes ------------------------------------------------------------

    def _env(self, **extra: str) -> dict[str, str]:
        rates = "1000000/minute"
        env = {
            "PATH": f"{VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(API_DIR),
            "PYTHONDONTWRITEBYTECODE": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": self._secret,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            # No nginx in front: the processes are reached over plain HTTP directly.
            "SECURE_SSL_REDIRECT": "false",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": os.environ.get("FAULT_LOG_LEVEL", "WARNING"),
            "METRICS_ADDR": "127.0.0.1",
            "STATIC_ROOT": str(self.dir / "static"),
            **{
                f"THROTTLE_RATE_{s}": rates
                for s in ("ANON", "USER", "STRICT", "BURST", "SUSTAINED")
            },
        }
        env.update(extra)
        return env

    def _migrate(self) -> None:
        say("migrating the private database")
        subprocess.run(
            [str(PYTHON), "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=API_DIR,
            env=self._env(),
            check=True,
            timeout=300,
        )

    def _write_supervisor_conf(self) -> None:
        logs = self.dir / "logs"
        metrics = self.dir / "metrics"
        logs.mkdir(exist_ok=True)
        metrics.mkdir(exist_ok=True)
        p = self.ports
        programs = {
            "api": (
                f"{VENV}/bin/gunicorn --config {API_DIR}/gunicorn.conf.py config.wsgi:application",
                f'SERVICE_NAME="api",GUNICORN_BIND="127.0.0.1:{p.api}",'
                f'GUNICORN_WORKERS="{self.api_workers}",PROMETHEUS_MULTIPROC_DIR="{metrics}"',
            ),
            "realtime": (
                f"{VENV}/bin/daphne --bind 127.0.0.1 --port {p.realtime} config.asgi:application",
                'SERVICE_NAME="realtime"',
            ),
            "relay": (
                # Batches of 25 rather than the default 200: relay_kill.py's 4 s backlog (70-100
                # events) then spans several batches, so a kill timed by the subscribers' first
                # delivery lands inside one even when a busy machine delays that delivery.
                f"{PYTHON} manage.py relay_outbox --metrics-port {p.relay_metrics} --batch-size 25",
                'SERVICE_NAME="relay"',
            ),
            "flusher": (
                f"{PYTHON} manage.py flush_writebehind --metrics-port {p.flusher_metrics}",
                'SERVICE_NAME="flusher"',
            ),
        }
        lines = [
            "[unix_http_server]",
            f"file={self.dir}/supervisor.sock",
            "chmod=0700",
            "[supervisord]",
            f"logfile={logs}/supervisord.log",
            f"pidfile={self.dir}/supervisord.pid",
            f"directory={API_DIR}",
            "minfds=4096",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "[supervisorctl]",
            f"serverurl=unix://{self.dir}/supervisor.sock",
        ]
        for name, (command, environment) in programs.items():
            lines += [
                f"[program:{name}]",
                f"command={command}",
                f"directory={API_DIR}",
                f"environment={environment}",
                "autorestart=true",
                "startsecs=1",
                "startretries=100",
                "stopsignal=TERM",
                "stopwaitsecs=30",
                "stopasgroup=true",
                "killasgroup=true",
                f"stdout_logfile={logs}/{name}.log",
                "redirect_stderr=true",
            ]
        self.supervisor_conf.write_text("\n".join(lines) + "\n")

    def supervisorctl(self, *args: str, timeout: float = 30) -> str:
        result = subprocess.run(
            [str(VENV / "bin" / "supervisorctl"), "-c", str(self.supervisor_conf), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return result.stdout

    def pid(self, program: str) -> int:
        return int(self.supervisorctl("pid", program).strip() or 0)

    def api_worker_pids(self) -> list[int]:
        master = self.pid("api")
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return sorted(int(child) for child in children)

    def kill(self, pid: int, sig: signal.Signals = signal.SIGKILL) -> None:
        os.kill(pid, sig)

    def ready(self) -> dict[str, bool]:
        endpoints = {
            "api": f"{self.api_url}/readyz",
            "realtime": f"http://127.0.0.1:{self.ports.realtime}/readyz",
            "relay": f"http://127.0.0.1:{self.ports.relay_metrics}/metrics",
            "flusher": f"http://127.0.0.1:{self.ports.flusher_metrics}/metrics",
        }
        answers = {}
        for name, url in endpoints.items():
            try:
                answers[name] = httpx.get(url, timeout=3).status_code == 200
            except httpx.HTTPError:
                answers[name] = False
        return answers

    def wait_ready(self, timeout: float) -> float:
        """Seconds until every process answers; raises after `timeout`."""
        started = time.monotonic()
        while True:
            answers = self.ready()
            if all(answers.values()):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                for name in answers:
                    log = self.dir / "logs" / f"{name}.log"
                    if log.exists():
                        sys.stderr.write(f"--- {log}\n{log_tail(log, 15)}\n")
                raise RuntimeError(f"not ready after {timeout} s: {answers}")
            time.sleep(0.5)

    @staticmethod
    def _wait_gone(pidfile: Path, timeout: float) -> None:
        wait_until(lambda: not pidfile.exists(), timeout, interval=0.2)
