"""Every fault scenario against one private stack, then a Markdown report.

    python scripts/faults/run_all.py [--smoke] --report PATH [--json PATH]

`make reliability` writes docs/reliability.md; `make reliability-smoke` (CI) runs the shorter
versions and writes var/reliability/smoke.md. --json writes the same results as data (for
`make report`). Exits 1 when any check or reconciliation fails.
"""

import argparse
import json
import platform
import sys
import time
import traceback
from pathlib import Path

from postgres_restart import postgres_restart
from process_kills import process_kills
from redis_outage import redis_outage
from relay_kill import relay_kill
from scenario import Result
from stack import PrivateStack, say

from harness import PERCENTILE_DEFINITION

SCENARIOS = [redis_outage, postgres_restart, process_kills, relay_kill]

INTRO = """# Reliability report

Written by `{command}` ({when}, {duration:.0f} s, {machine}). Each scenario runs
under load against a private copy of the platform (its own PostgreSQL cluster, Redis server,
Gunicorn with 2 workers, Daphne, relay and flusher under supervisord; scripts/faults/stack.py),
injects its fault, and ends with a reconciliation of every command the load generator sent
against the event store and the read models. docs/operations.md explains the scenarios and
what to do when one fails in production.

Figures depend on the machine and on whatever else runs on it (the load average is given per
scenario); the checks do not. Percentiles: {percentiles} (harness/percentiles.py).

## Summary

| scenario | result |
|---|---|
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="The shorter versions (CI).")
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    started = time.monotonic()
    results: list[Result] = []
    with PrivateStack() as stack:
        for scenario in SCENARIOS:
            say(f"--- {scenario.__name__}")
            try:
                results.append(scenario(stack, args.smoke).finished())
            except Exception:
                failed = Result(f"{scenario.__name__}: the scenario itself failed")
                failed.check(traceback.format_exc(limit=3).replace("\n", " "), False)
                results.append(failed)
            stack.wait_ready(120)
    command = "make reliability-smoke" if args.smoke else "make reliability"
    report = INTRO.format(
        command=command,
        when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        duration=time.monotonic() - started,
        machine=f"{platform.machine()}, Python {platform.python_version()}",
        percentiles=PERCENTILE_DEFINITION,
    )
    report += "".join(f"| {r.title} | {'pass' if r.ok else '**FAIL**'} |\n" for r in results)
    report += "\n## Scenarios\n\n" + "\n".join(r.markdown() for r in results)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report)
    say(f"report written to {args.report}")
    if args.json:
        data = {
            "command": command,
            "smoke": args.smoke,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "duration_s": round(time.monotonic() - started, 1),
            "passed": all(r.ok for r in results),
            "scenarios": [
                {"scenario": scenario.__name__} | result.as_dict()
                for scenario, result in zip(SCENARIOS, results, strict=True)
            ],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2, default=str) + "\n")
    failed = [r.title for r in results if not r.ok]
    say("all scenarios passed" if not failed else f"FAILED: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
