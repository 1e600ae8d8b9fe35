"""PostgreSQL stopped and started again under load (down 10 s; 5 s in --smoke): while it is
down, requests fail fast with 503 in the error envelope (once one has waited the pool timeout,
the database circuit breaker fails the others at once); afterwards the API recovers by itself,
without a restart of any process; no write is partial. Ends with a reconciliation."""

import sys

from load import Load
from reconcile import reconcile, wait_for_outbox
from scenario import BacklogSampler, Result, Running, main, sleep_until
from stack import PrivateStack

from harness import percentile


def postgres_restart(stack: PrivateStack, smoke: bool) -> Result:
    before, down_for, after = (5, 5, 15) if smoke else (10, 10, 25)
    result = Result(f"PostgreSQL restarted under load (down {down_for} s)")
    load = Load(stack.api_url, stack.ws_url, label="postgres")
    pids = {name: stack.pid(name) for name in ("api", "realtime", "relay", "flusher")}
    workers = stack.api_worker_pids()
    with Running(load) as running, BacklogSampler(stack, load):
        result.did_(f"load started: {load.writers} writers, {load.readers} readers")
        sleep_until(load, before)
        down = load.mark("postgres stopping")
        stack.postgres_stop("fast")
        stopped = load.now()
        result.did_(
            f"PostgreSQL stopped (pg_ctl stop -m fast) at +{down:.1f} s, down at +{stopped:.1f} s"
        )
        sleep_until(load, stopped + down_for)
        stack.postgres_start()
        up = load.mark("postgres up")
        result.did_(f"PostgreSQL started again, accepting connections at +{up:.1f} s")
        sleep_until(load, up + after)
        running.finish()
        result.did_(f"load stopped at +{load.now():.1f} s")
        drained_in, left = wait_for_outbox(stack, 60)
        result.did_(f"outbox drained {drained_in:.1f} s after the load stopped (left: {left})")

    during = [r for r in load.requests if down <= r.at < up]
    refused = [r for r in during if r.status is not None and r.status >= 500]
    other_5xx = [r for r in during if r.status is not None and r.status >= 500 and r.status != 503]
    recovered = [r for r in load.requests if r.write and r.at >= up and r.status in (200, 201)]
    first_write = min((r.at + r.latency - up for r in recovered), default=None)
    after_window = load.window(up + (first_write or 0) + 2, load.marks["end"])
    restarted = {name: pid for name, pid in pids.items() if stack.pid(name) != pid}
    started_down = [r.latency for r in during]
    result.figures = {
        "requests while PostgreSQL was down": len(during),
        "p95 latency of the requests started while it was down (ms)": 1000
        * percentile(started_down, 0.95, empty=0.0),
        "max latency of the requests started while it was down (ms)": 1000
        * max(started_down, default=0.0),
        "answered 503 (service_unavailable envelope)": sum(
            1 for r in refused if r.status == 503 and r.error_code == "service_unavailable"
        ),
        "other 5xx while down": len(other_5xx),
        "no answer while down": sum(1 for r in during if r.status is None),
        "p50 time to the 503 (ms)": 1000
        * percentile([r.latency for r in refused], 0.50, empty=0.0),
        "p95 time to the 503 (ms)": 1000
        * percentile([r.latency for r in refused], 0.95, empty=0.0),
        "first accepted write after PostgreSQL returned (s)": first_write
        if first_write is not None
        else "none",
        "error rate from 2 s after the first accepted write": after_window["error_rate"],
        "its failures: 503 / other 5xx / no answer": f"{after_window['503']} / "
        f"{after_window['5xx'] - after_window['503']} / {after_window['no_answer']}",
        "processes restarted": ", ".join(restarted) or "none",
        "api workers replaced": sorted(set(workers) - set(stack.api_worker_pids())) or "none",
        "non-envelope error answers": load.window(0, load.marks["end"])["not_envelope"],
    }
    result.reconciliation = reconcile(stack, load)
    result.check(
        "requests fail with 503 in the envelope while down", bool(refused) and not other_5xx
    )
    result.check(
        "most fail at once (p50 under 250 ms: the circuit breaker, DB_CIRCUIT_OPEN_SECONDS)",
        bool(refused) and result.figures["p50 time to the 503 (ms)"] < 250,
    )
    result.check(
        "all fail within a bound (p95 under 6 s; a probe waits DB_POOL_TIMEOUT, 2 s)",
        result.figures["p95 time to the 503 (ms)"] < 6000,
    )
    result.check(
        "writes are accepted again within 15 s", first_write is not None and first_write < 15
    )
    result.check("no process was restarted", not restarted)
    result.check("no errors once recovered", after_window["error_rate"] == 0)
    result.check("the outbox drained", left == 0)
    result.check(
        "every error answer is the envelope", result.figures["non-envelope error answers"] == 0
    )
    return result


if __name__ == "__main__":
    sys.exit(main(postgres_restart))
