"""The processes under test: the API, the realtime processes, the relay and nginx."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
from pathlib import Path

from harness import ServerProcess, free_port
from ws_bench.config import API_DIR, BIN, ROOT, bench_environment


class Services:
    """The API, the realtime processes, the relay and nginx, as child processes."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.children: list[ServerProcess] = []
        self.api_port = free_port()
        self.realtime_ports = [free_port() for _ in range(args.realtime_processes)]
        self.nginx_port = free_port() if args.nginx else None
        self.relay_metrics_port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
            **bench_environment(args),
        }

    def start(self) -> None:
        api = self._spawn(
            "api",
            [
                str(BIN / "gunicorn"),
                "--config",
                "gunicorn.conf.py",
                "config.wsgi:application",
            ],
            GUNICORN_BIND=f"127.0.0.1:{self.api_port}",
            GUNICORN_WORKERS=str(self.args.api_workers),
            SERVICE_NAME="api",
        )
        realtime = [
            self._spawn(
                f"realtime:{port}",
                [
                    str(BIN / "daphne"),
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "config.asgi:application",
                ],
                SERVICE_NAME="realtime",
            )
            for port in self.realtime_ports
        ]
        self._spawn(
            "relay",
            [
                sys.executable,
                "manage.py",
                "relay_outbox",
                "--poll-seconds",
                "2",
                "--metrics-port",
                str(self.relay_metrics_port),
            ],
            SERVICE_NAME="relay",
        )
        nginx = self._start_nginx() if self.nginx_port else None
        api.wait_http(f"http://127.0.0.1:{self.api_port}/healthz", timeout=60)
        for process, port in zip(realtime, self.realtime_ports, strict=True):
            process.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        if nginx is not None:
            nginx.wait_http(f"http://127.0.0.1:{self.nginx_port}/healthz", timeout=30)

    def _spawn(self, name: str, command: list[str], **env: str) -> ServerProcess:
        process = ServerProcess(
            name,
            command,
            cwd=API_DIR,
            env={**self.env, **env},
            log=self.workdir / f"{name.replace(':', '-')}.log",
        )
        self.children.append(process.start())
        return process

    def _start_nginx(self) -> ServerProcess:
        """nginx with the repository's maps and proxy snippets, in front of every process."""
        conf = self.workdir / "nginx"
        conf.mkdir(exist_ok=True)
        with contextlib.suppress(FileExistsError):
            (conf / "snippets").symlink_to(ROOT / "nginx" / "snippets")
        realtime = "\n".join(f"    server 127.0.0.1:{p};" for p in self.realtime_ports)
        (conf / "nginx.conf").write_text(
            f"""
worker_processes 1;
worker_rlimit_nofile 40000;
daemon off;
pid {conf}/nginx.pid;
error_log {conf}/error.log warn;
events {{ worker_connections 20000; }}
http {{
  access_log off;
  client_body_temp_path {conf}/spool-body;
  proxy_temp_path {conf}/spool-proxy;
  fastcgi_temp_path {conf}/spool-fastcgi;
  uwsgi_temp_path {conf}/spool-uwsgi;
  scgi_temp_path {conf}/spool-scgi;
  include snippets/maps.conf;
  upstream api {{ server 127.0.0.1:{self.api_port}; keepalive 16; }}
  upstream realtime {{
{realtime}
  }}
  server {{
    listen 127.0.0.1:{self.nginx_port};
    location /ws/ {{ include snippets/proxy-realtime.conf; }}
    location / {{ include snippets/proxy-api.conf; }}
  }}
}}
"""
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        return self._spawn("nginx", [nginx, "-p", str(conf), "-c", str(conf / "nginx.conf")])

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port or self.api_port}"

    def socket_urls(self) -> list[str]:
        if self.nginx_port:
            return [f"ws://127.0.0.1:{self.nginx_port}/ws/v1/"]
        return [f"ws://127.0.0.1:{port}/ws/v1/" for port in self.realtime_ports]

    def realtime_pids(self) -> list[int]:
        return [p.pid for p in self.children if p.name.startswith("realtime")]

    def stop(self) -> None:
        """Each in reverse order of starting: SIGTERM to it and what it started, SIGKILL after
        20 s."""
        for process in reversed(self.children):
            process.stop(timeout=20)
