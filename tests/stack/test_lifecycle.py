"""stack-up is idempotent and stack-down leaves nothing running."""

from __future__ import annotations

import socket
from pathlib import Path

from conftest import ROOT, STACK_DIR, program_pid, stack, supervisorctl

PROGRAMS = [
    "node-exporter",
    "postgres-exporter",
    "redis-exporter",
    "prometheus",
    "alertmanager",
    "api",
    "realtime",
    "relay",
    "flusher",
    "nginx",
    "nginx-exporter",
]
PORTS = [8010, 8011, 8080, 8081, 8443, 9090, 9093, 9100, 9113, 9121, 9187, 9201, 9202]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# What the command line of each kind of stack process contains.
MARKERS = [
    str(STACK_DIR),
    f"{ROOT}/.venv/bin/gunicorn",
    f"{ROOT}/.venv/bin/daphne",
    "manage.py relay_outbox",
    "manage.py flush_writebehind",
    "prometheus-node-exporter",
    "prometheus-postgres-exporter",
    "prometheus-redis-exporter",
    "prometheus-nginx-exporter",
]


def stack_processes() -> list[str]:
    """Command lines of live processes that belong to the stack."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(marker in command for marker in MARKERS):
            found.append(f"{proc.name}: {command}")
    return found


def test_a_second_stack_up_changes_nothing() -> None:
    pids = {program: program_pid(program) for program in PROGRAMS}

    result = stack("up", timeout=300)

    assert result.returncode == 0, result.stderr
    assert "already running" in result.stdout
    assert {program: program_pid(program) for program in PROGRAMS} == pids


def test_stack_down_leaves_nothing_running_and_up_brings_it_back() -> None:
    try:
        # When the stack is stopped
        result = stack("down", timeout=300)

        # Then no process of it is left and none of its ports answers
        assert result.returncode == 0, result.stderr
        assert stack_processes() == []
        assert [port for port in PORTS if listening(port)] == []
        assert stack("status", timeout=60).returncode != 0
    finally:
        # And it starts again from its kept state (certificates, database, Prometheus data)
        result = stack("up", timeout=600)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "RUNNING" in supervisorctl("status", "api")
