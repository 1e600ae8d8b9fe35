"""The shared harness: its percentile, free ports and server processes (harness/)."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import sys
import time
from pathlib import Path

import pytest

from harness import (
    ProcessStartError,
    ServerProcess,
    free_port,
    http_answers,
    percentile,
    port_open,
    redis_answers,
    start_redis_server,
    wait_until,
)


def test_percentile_interpolates_linearly_between_the_closest_ranks():
    values = [15.0, 20.0, 35.0, 40.0, 50.0]
    # position q * (n - 1): 0.4 * 4 = 1.6, between 20 and 35
    assert percentile(values, 0.40) == pytest.approx(29.0)
    assert percentile(values, 0.50) == 35.0
    assert percentile(values, 0.0) == 15.0
    assert percentile(values, 1.0) == 50.0


def test_percentile_agrees_with_the_inclusive_method_of_the_standard_library():
    values = [((n * 7919) % 1000) / 10 for n in range(1, 501)]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    for q in (1, 50, 95, 99):
        assert percentile(values, q / 100) == pytest.approx(cuts[q - 1])


def test_percentile_never_leaves_the_values_and_takes_them_unsorted():
    assert percentile([3.0, 1.0, 2.0], 0.99) == pytest.approx(2.98)
    assert percentile([7.0], 0.95) == 7.0


def test_percentile_of_nothing_is_the_given_default():
    assert percentile([], 0.95) != percentile([], 0.95)  # nan
    assert percentile([], 0.95, empty=0.0) == 0.0


def test_percentile_refuses_a_percent_given_as_a_whole_number():
    with pytest.raises(ValueError, match="fraction"):
        percentile([1.0, 2.0], 95)


def test_a_free_port_can_be_bound_and_is_not_listened_on():
    port = free_port()
    assert not port_open(port)
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        assert port_open(port)


def _http_server(port: int) -> list[str]:
    return [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]


def test_a_server_is_waited_for_and_stopped(tmp_path: Path):
    port = free_port()
    server = ServerProcess("http", _http_server(port), cwd=tmp_path, log=tmp_path / "http.log")
    with server.start():
        seconds = server.wait_http(f"http://127.0.0.1:{port}/", timeout=30)
        assert seconds < 30
        assert http_answers(f"http://127.0.0.1:{port}/")
    assert not server.running
    assert not port_open(port)
    assert "GET / HTTP" in (tmp_path / "http.log").read_text()


def test_stopping_reaches_the_processes_the_server_started(tmp_path: Path):
    # A shell that starts a long sleep and waits for it, as make starts runserver.
    pid_file = tmp_path / "child.pid"
    script = f"sleep 300 & echo $! > {pid_file}; wait"
    server = ServerProcess("shell", ["bash", "-c", script]).start()
    try:
        assert wait_until(pid_file.exists, timeout=10)
        assert wait_until(lambda: pid_file.read_text().strip(), timeout=10)
        child = int(pid_file.read_text())
    finally:
        server.stop(timeout=10)
    assert wait_until(lambda: not _alive(child), timeout=10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes; only its parent's wait would remove it.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_server_that_exits_reports_its_log_tail():
    command = [sys.executable, "-c", "import sys; print('port already taken'); sys.exit(3)"]
    server = ServerProcess("broken", command).start()
    try:
        with pytest.raises(ProcessStartError, match=r"exited \(3\)[\s\S]*port already taken"):
            server.wait_port(free_port(), timeout=30)
    finally:
        server.stop()
    assert not server.log_path.exists()  # a temporary log goes with the process


def test_a_server_that_never_answers_is_stopped_after_the_timeout():
    command = [
        sys.executable,
        "-c",
        "import time; print('still starting', flush=True); time.sleep(300)",
    ]
    server = ServerProcess("silent", command).start()
    started = time.monotonic()
    with pytest.raises(ProcessStartError, match=r"within 1 s:\nstill starting"):
        server.wait_ready(lambda: False, timeout=1)
    assert time.monotonic() - started < 30
    assert not server.running


@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")
def test_a_private_redis_server_answers_and_goes():
    port = free_port()
    server = start_redis_server(port)
    try:
        assert redis_answers(port)
    finally:
        server.stop()
    assert not redis_answers(port)
