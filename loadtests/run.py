#!/usr/bin/env python
"""`make loadtest`: seed, load the target in two phases, check the targets, report.

    python loadtests/run.py [--profile full|smoke] [--target URL] [--workers N]

Phase 1, read: the read-heavy mix offered at the target rate; throughput, latency, errors, and
the cache hit rate from the platform's own `cache_requests_total` before and after.
Phase 2, mixed: reads, the write mix, the auth flow, live writers and WebSocket users holding
their sockets; latency, errors, sockets held, event delivery latency, realtime memory.
Then Gunicorn worker memory, a table of target / measured / pass-fail, and exit status 1 when any
target is missed (2 when the run itself could not be made).

Everything lands in loadtests/reports/<run id>/: Locust's HTML report and CSV files per phase,
the Locust logs, and summary.json (reports/latest points at the last run).
"""

import sys

# Its parts, by job, in loadtests/runner/ (this folder is the script's sys.path[0]): target,
# metrics, locust, phases, verdict, cli.
from runner.cli import main

if __name__ == "__main__":
    sys.exit(main())
