"""What every fault scenario shares: the load running in a thread while the scenario breaks
things, a sampler of the outbox backlog, checks, and the command line of each scenario script.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from load import Load
from reconcile import Reconciliation
from stack import PrivateStack, say


@dataclass
class Result:
    title: str
    did: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    reconciliation: Reconciliation | None = None
    load_average: tuple[float, float, float] | None = None

    def finished(self) -> Result:
        """Notes the machine's load average as the scenario ends."""
        self.load_average = os.getloadavg()
        return self

    @property
    def ok(self) -> bool:
        reconciled = self.reconciliation is None or self.reconciliation.ok
        return all(self.checks.values()) and reconciled

    def check(self, name: str, passed: bool) -> None:
        self.checks[name] = bool(passed)
        say(f"check: {name}: {'ok' if passed else 'FAILED'}")

    def did_(self, what: str) -> None:
        self.did.append(f"{time.strftime('%H:%M:%S')} {what}")
        say(what)

    def as_dict(self) -> dict[str, Any]:
        """The result for `make report` (docs/readiness.md): what the Markdown shows, as data."""
        reconciliation = self.reconciliation
        return {
            "title": self.title,
            "ok": self.ok,
            "checks": self.checks,
            "figures": self.figures,
            "reconciliation": None
            if reconciliation is None
            else {
                "ok": reconciliation.ok,
                "counts": reconciliation.counts,
                "problems": reconciliation.problems[:20],
            },
            "load_average": self.load_average,
            "did": self.did,
        }

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        if self.load_average is not None:
            load = ", ".join(f"{x:.1f}" for x in self.load_average)
            lines += [f"Machine load average (1, 5, 15 min) as it ended: {load}.", ""]
        lines += ["What it did:", ""]
        lines += [f"- {line}" for line in self.did]
        lines += ["", "| measured | value |", "|---|---|"]
        for name, value in self.figures.items():
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            lines.append(f"| {name} | {shown} |")
        if self.reconciliation is not None:
            lines += ["", "Reconciliation:", "", "| count | value |", "|---|---|"]
            lines += [f"| {k} | {v} |" for k, v in self.reconciliation.counts.items()]
            lines += [f"- problem: {p}" for p in self.reconciliation.problems[:20]]
        lines += ["", "| check | result |", "|---|---|"]
        lines += [f"| {k} | {'pass' if v else '**FAIL**'} |" for k, v in self.checks.items()]
        lines.append("")
        return "\n".join(lines)


class Running:
    """The load generator on its own event loop in a thread, so the scenario can sleep and
    break things in the main thread."""

    def __init__(self, load: Load) -> None:
        self.load = load
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._sockets_stop = asyncio.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def __enter__(self) -> Running:
        self._thread.start()
        if not self._ready.wait(60) or self._error:
            raise RuntimeError(f"the load did not start: {self._error!r}")
        return self

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._run())
        except BaseException as exc:  # reported by __enter__ or finish
            self._error = exc
            self._ready.set()

    async def _run(self) -> None:
        await self.load.prepare()
        running = asyncio.create_task(self.load.run(self._stop, self._sockets_stop))
        while "start" not in self.load.marks:
            await asyncio.sleep(0.05)
        self._ready.set()
        await running

    def finish(self, timeout: float = 60) -> None:
        """Stops the writers and readers; the subscribers stay until close()."""
        self._loop.call_soon_threadsafe(self._stop.set)
        deadline = time.monotonic() + timeout
        while "end" not in self.load.marks and self._thread.is_alive():
            if time.monotonic() > deadline:
                raise RuntimeError("the load did not stop")
            time.sleep(0.05)
        if self._error:
            raise RuntimeError(f"the load failed: {self._error!r}") from self._error

    def close(self, timeout: float = 60) -> None:
        """Closes the subscribers and ends the thread."""
        if "end" not in self.load.marks:
            self.finish(timeout)
        self._loop.call_soon_threadsafe(self._sockets_stop.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("the load did not stop")

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():
            self.close()


class BacklogSampler:
    """The outbox backlog once a second (None while PostgreSQL does not answer)."""

    def __init__(self, stack: PrivateStack, load: Load) -> None:
        self.stack, self.load = stack, load
        self.samples: list[tuple[float, int | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> BacklogSampler:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append((self.load.now(), self.stack.outbox_backlog()))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def max_between(self, start: float, end: float) -> int:
        values = [v for t, v in self.samples if start <= t < end and v is not None]
        return max(values, default=0)


def sleep_until(load: Load, second: float) -> None:
    """Sleeps until `second` seconds into the load."""
    time.sleep(max(0.0, second - load.now()))


Scenario = Callable[[PrivateStack, bool], Result]


def main(scenario: Scenario) -> int:
    parser = argparse.ArgumentParser(description=scenario.__doc__)
    parser.add_argument("--smoke", action="store_true", help="A shorter, bounded version (CI).")
    args = parser.parse_args()
    with PrivateStack() as stack:
        result = scenario(stack, args.smoke).finished()
    print(result.markdown())
    say("PASSED" if result.ok else "FAILED")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit("run one of the scenario scripts, or run_all.py")
