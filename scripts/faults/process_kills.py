"""A Gunicorn worker and the realtime process killed with SIGKILL under load: no accepted write
is lost (the reconciliation), the killed processes come back (Gunicorn replaces its worker,
supervisord restarts Daphne), and WebSocket clients reconnect and receive live events again."""

import signal
import sys
import time
from collections.abc import Callable

from load import Load
from reconcile import reconcile, wait_for_outbox
from scenario import Result, Running, main, sleep_until
from stack import PrivateStack


def _wait_for(condition: Callable[[], bool], timeout: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def _reconnects(load: Load, killed_at: float) -> list[float | None]:
    """When each subscriber first connected after `killed_at` (None: not yet)."""
    return [
        min((t for t in life.connects if t > killed_at), default=None) for life in load.socket_lives
    ]


def _live_after_reconnect(load: Load, killed_at: float) -> bool:
    reconnects = _reconnects(load, killed_at)
    if any(t is None for t in reconnects):
        return False
    last = max(t for t in reconnects if t is not None)
    return any(r.at > last for r in list(load.received))


def process_kills(stack: PrivateStack, smoke: bool) -> Result:
    before, between, after = (5, 8, 10) if smoke else (10, 15, 20)
    result = Result("A Gunicorn worker and the realtime process killed with SIGKILL under load")
    load = Load(stack.api_url, stack.ws_url, label="kills")
    with Running(load) as running:
        result.did_(
            f"load started: {load.writers} writers, {load.readers} readers, "
            f"{load.sockets} subscribers"
        )
        sleep_until(load, before)
        workers = stack.api_worker_pids()
        victim = workers[0]
        stack.kill(victim, signal.SIGKILL)
        killed_worker = load.mark("worker killed")
        result.did_(f"SIGKILL to Gunicorn worker {victim} (of {workers}) at +{killed_worker:.1f} s")
        replaced_in = _wait_for(
            lambda: (
                len(stack.api_worker_pids()) == len(workers)
                and victim not in stack.api_worker_pids()
            ),
            30,
        )
        result.did_(
            f"Gunicorn replaced it in {replaced_in or 0:.1f} s: workers {stack.api_worker_pids()}"
        )
        sleep_until(load, killed_worker + between)
        realtime = stack.pid("realtime")
        stack.kill(realtime, signal.SIGKILL)
        killed_realtime = load.mark("realtime killed")
        result.did_(f"SIGKILL to the realtime process {realtime} at +{killed_realtime:.1f} s")
        restarted_in = _wait_for(
            lambda: stack.pid("realtime") not in (0, realtime) and stack.ready()["realtime"], 120
        )
        result.did_(
            f"supervisord restarted it; serving again after {restarted_in or 0:.1f} s "
            f"(pid {stack.pid('realtime')})"
        )
        # Daphne needs a few seconds to start, more on a busy machine (4 s quiet, 18 s seen on a
        # loaded CI runner), so the load runs on until every subscriber is back and a live event
        # has reached it, bounded, rather than for a fixed time that a slow restart can swallow.
        back_in = _wait_for(lambda: _live_after_reconnect(load, killed_realtime), 60)
        result.did_(
            "every subscriber reconnected and received a live event "
            + (f"{back_in:.1f} s after the restart" if back_in is not None else "never (60 s)")
        )
        sleep_until(load, killed_realtime + after)
        running.finish()
        result.did_(f"load stopped at +{load.now():.1f} s")
        drained_in, left = wait_for_outbox(stack, 60)
        result.did_(f"outbox drained {drained_in:.1f} s after the load stopped (left: {left})")
        time.sleep(1)

    reconnects = _reconnects(load, killed_realtime)
    reconnected = [t - killed_realtime for t in reconnects if t is not None]
    last_reconnect = max((t for t in reconnects if t is not None), default=load.marks["end"])
    live_after = [r for r in load.received if r.at > last_reconnect]
    around_worker = load.window(killed_worker - 0.5, killed_worker + 2)
    whole = load.window(0, load.marks["end"])
    result.figures = {
        "requests": whole["requests"],
        "failed requests (5xx or no answer), whole run": whole["5xx"] + whole["no_answer"],
        "error rate, whole run": whole["error_rate"],
        "failed in the 2 s after the worker was killed": around_worker["5xx"]
        + around_worker["no_answer"],
        "worker replaced in (s)": replaced_in if replaced_in is not None else "not replaced",
        "realtime back in (s)": restarted_in if restarted_in is not None else "not back",
        "subscribers reconnected": f"{len(reconnected)}/{load.sockets}",
        "slowest reconnect after the kill (s)": max(reconnected, default=0.0),
        "events received after the last reconnect": len(live_after),
        "non-envelope error answers": whole["not_envelope"],
    }
    result.reconciliation = reconcile(stack, load)
    sockets = [i for i, t in enumerate(reconnects) if t is not None]
    result.check("Gunicorn replaced the killed worker", replaced_in is not None)
    result.check("the realtime process came back", restarted_in is not None)
    result.check("every subscriber reconnected", len(sockets) == load.sockets)
    result.check("live events arrive after the reconnect", bool(live_after))
    result.check("the outbox drained", left == 0)
    result.check("every error answer is the envelope", whole["not_envelope"] == 0)
    return result


if __name__ == "__main__":
    sys.exit(main(process_kills))
