"""Server processes for benchmarks, fault scenarios and tests: start one with its environment,
wait (bounded) until it answers, stop it and everything it started, and show its log when it
does not come up.

    server = ServerProcess("gunicorn", [gunicorn, "--config", "gunicorn.conf.py", app],
                           cwd=API_DIR, env=env, log=workdir / "gunicorn.log").start()
    try:
        server.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        ...
    finally:
        server.stop()

Every wait is bounded; a process that exits or does not answer in time raises ProcessStartError
with the last lines of its log.
"""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from harness.ports import LOOPBACK, port_open

LOG_TAIL_LINES = 40


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log file ("" when there is none yet)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class ProcessStartError(RuntimeError):
    """A server process exited or did not answer in time; the message ends with its log tail."""


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.1) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds have passed (one last look then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def http_answers(
    url: str,
    accept: Sequence[int] = (200,),
    timeout: float = 2.0,
    context: ssl.SSLContext | None = None,
) -> bool:
    """Whether a GET of `url` answers with one of the `accept` statuses."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310 - the callers' loopback servers  # nosec B310
            return response.status in accept
    except urllib.error.HTTPError as error:
        return error.code in accept
    except OSError:
        return False


class ServerProcess:
    """One child process and its log file.

    own_group (the default) starts it in a process group of its own, so that stop() reaches
    what it started too (Gunicorn's workers, the programs make runs, a reloader's child).
    Without a `log` path its output goes to a temporary file, removed by stop(); log_stdout=False
    keeps only stderr (a server's request log would otherwise be written during a measurement).
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        log: Path | None = None,
        append_log: bool = False,
        own_group: bool = True,
        log_stdout: bool = True,
    ) -> None:
        self.name = name
        self.command = [str(part) for part in command]
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.own_group = own_group
        self._owns_log = log is None
        if log is None:
            handle, path = tempfile.mkstemp(prefix=f"{name.replace(':', '-')}-", suffix=".log")
            os.close(handle)
            log = Path(path)
        self.log_path = log
        self._append = append_log
        self._log_stdout = log_stdout
        self._log: IO[bytes] | None = None
        self.popen: subprocess.Popen[bytes] | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> ServerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab" if self._append else "wb")
        self.popen = subprocess.Popen(  # noqa: S603 - the callers' own fixed argument lists
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log if self._log_stdout else subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=self.own_group,
        )
        return self

    def __enter__(self) -> ServerProcess:
        return self.start() if self.popen is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        return self._process().pid

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def send_signal(self, signum: int) -> None:
        """To the process itself only (a graceful-shutdown test signals the server, not its
        workers)."""
        self._process().send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self._process().wait(timeout=timeout)

    def stop(self, timeout: float = 20.0, signum: int = signal.SIGTERM) -> int | None:
        """`signum` (to its whole process group when it leads one), SIGKILL after `timeout`
        seconds; returns the exit status. Safe to call twice and on a process that has exited."""
        status = None
        if self.popen is not None:
            if self.popen.poll() is None:
                self._signal_all(signum)
                try:
                    self.popen.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self._signal_all(signal.SIGKILL)
                    self.popen.wait(timeout=10)
            status = self.popen.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._owns_log:
            self.log_path.unlink(missing_ok=True)
        return status

    def _signal_all(self, signum: int) -> None:
        process = self._process()
        with contextlib.suppress(ProcessLookupError):
            if self.own_group:
                os.killpg(process.pid, signum)
            else:
                process.send_signal(signum)

    def _process(self) -> subprocess.Popen[bytes]:
        if self.popen is None:
            raise RuntimeError(f"{self.name} has not been started")
        return self.popen

    # --- waiting --------------------------------------------------------------------------------

    def wait_ready(
        self, ready: Callable[[], object], timeout: float, interval: float = 0.2
    ) -> float:
        """Seconds until `ready()` is true. Raises ProcessStartError, with the log's tail, when
        the process exits first or `timeout` passes (the process is then stopped)."""
        started = time.monotonic()
        while True:
            if not self.running:
                code = self.popen.returncode if self.popen is not None else None
                raise ProcessStartError(
                    f"{self.name} exited ({code}) before it answered:\n{self.log_tail()}"
                )
            if ready():
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                tail = self.log_tail()
                self.stop()
                raise ProcessStartError(
                    f"{self.name} did not answer within {timeout:.0f} s:\n{tail}"
                )
            time.sleep(interval)

    def wait_http(
        self,
        url: str,
        timeout: float,
        accept: Sequence[int] = (200,),
        context: ssl.SSLContext | None = None,
    ) -> float:
        return self.wait_ready(lambda: http_answers(url, accept, context=context), timeout)

    def wait_port(self, port: int, timeout: float, host: str = LOOPBACK) -> float:
        return self.wait_ready(lambda: port_open(port, host, timeout=0.2), timeout, 0.05)

    # --- the log --------------------------------------------------------------------------------

    def output(self) -> str:
        """Everything the process wrote so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.log_path, lines)
