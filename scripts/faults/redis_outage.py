"""Redis stopped for 30 s under read and write load (10 s in --smoke): reads fall back to
PostgreSQL, writes succeed, the outbox backlog grows and then drains, live events resume, the
error rate stays under 1 %. Ends with a reconciliation."""

import sys
import time

from load import Load
from reconcile import reconcile, wait_for_outbox
from scenario import BacklogSampler, Result, Running, main, sleep_until
from stack import PrivateStack


def redis_outage(stack: PrivateStack, smoke: bool) -> Result:
    before, outage, after = (5, 10, 15) if smoke else (10, 30, 30)
    result = Result(f"Redis stopped for {outage} s under load")
    load = Load(stack.api_url, stack.ws_url, label="redis")
    with Running(load) as running, BacklogSampler(stack, load) as backlog:
        result.did_(
            f"load started: {load.writers} writers, {load.readers} readers, "
            f"{load.sockets} subscribers"
        )
        sleep_until(load, before)
        stack.redis_stop()
        down = load.mark("redis down")
        result.did_(f"redis-server shut down (nosave: every key lost) at +{down:.1f} s")
        sleep_until(load, before + outage)
        stack.redis_start()
        up = load.mark("redis up")
        result.did_(f"redis-server started again at +{up:.1f} s")
        sleep_until(load, before + outage + after)
        running.finish()
        result.did_(f"load stopped at +{load.now():.1f} s")
        drained_in, left = wait_for_outbox(stack, 60)
        result.did_(f"outbox drained {drained_in:.1f} s after the load stopped (left: {left})")
        time.sleep(1)
        peak = backlog.max_between(down, up + 1)
    received_after = [r for r in load.received if r.at >= up]
    first_after = min((r.at - up for r in received_after), default=None)
    writes_after = [r for r in load.requests if r.write and r.at >= up and r.status in (200, 201)]
    whole = load.window(0, load.marks["end"])
    during = load.window(down, up)
    result.figures = {
        "requests": whole["requests"],
        "error rate (5xx or no answer), whole run": whole["error_rate"],
        "error rate while Redis was down": during["error_rate"],
        "reads answered while Redis was down": f"{during['reads_ok']}/{during['reads']}",
        "writes accepted while Redis was down": f"{during['writes_ok']}/{during['writes']}",
        "p95 latency while Redis was down (ms)": during["p95_ms"],
        "p95 latency before (ms)": load.window(0, down)["p95_ms"],
        "outbox backlog at its peak during the outage": peak,
        "outbox backlog after the load (after draining)": left,
        "events received by subscribers after Redis returned": len(received_after),
        "first live event after Redis returned (s)": first_after
        if first_after is not None
        else "none",
        "subscriber reconnects": sum(len(life.connects) - 1 for life in load.socket_lives),
        "non-envelope error answers": whole["not_envelope"],
    }
    result.reconciliation = reconcile(stack, load)
    result.check("error rate under 1 %", whole["error_rate"] < 0.01)
    result.check("reads served from PostgreSQL while Redis was down", during["reads_ok"] > 0)
    result.check(
        "writes succeed while Redis was down",
        during["writes"] > 0 and during["writes_ok"] / during["writes"] > 0.99,
    )
    result.check("the outbox backlog grew during the outage", peak > 0)
    result.check("the outbox drained", left == 0)
    result.check("live events resumed", bool(received_after) and bool(writes_after))
    result.check("every error answer is the envelope", whole["not_envelope"] == 0)
    return result


if __name__ == "__main__":
    sys.exit(main(redis_outage))
