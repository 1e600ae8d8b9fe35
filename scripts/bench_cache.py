"""Benchmark: the API's read-heavy mix with the read cache on and off, side by side, in one run.

Seeds a scratch PostgreSQL database (created and dropped here) through the commands, then in
rounds of both modes (alternating which goes first) starts the api as in production (Gunicorn
with services/api/gunicorn.conf.py, production settings, PostgreSQL, Redis) on 127.0.0.1,
replays the same mix for the same time from client threads with keep-alive
connections, and reads the hit rate from the server's own cache_requests_total (the multiprocess
metrics every worker writes). Prints the machine, the load, and the hit rate, p50/p95/p99
latency and requests per second of both modes.

The mix, per request: 90 % reads (task detail 35, a project's task list 30, project list 8,
project detail 7, workspace list 5, workspace detail 5), 10 % writes (task update 8, task create
2). Task details are skewed: 80 % of them read the hottest 20 % of the tasks. Task lists are the
board's default page 60 % of the time, else filtered by status, sorted by priority, 5 per page or
cursor-paginated (10 % each).

Usage: make bench-cache   (BENCH_CACHE_ARGS="--duration 60 --clients 16" to change the load;
BENCH_DATABASE_URL / BENCH_REDIS_URL point at other servers). The client runs on the same
machine as the server and takes part of its CPU: compare the modes, not the absolute figures
across machines.
"""

import sys

# The benchmark's modules: scripts/cache_bench/ (this folder is the script's sys.path[0]).
from cache_bench.cli import main

if __name__ == "__main__":
    sys.exit(main(__doc__.split("\n\n")[0]))
