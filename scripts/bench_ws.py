#!/usr/bin/env python
"""WebSocket benchmark of the realtime service (`make bench-ws`; docs/websocket.md has results).

Starts the platform's own processes on 127.0.0.1 against a dedicated PostgreSQL database and
Redis db: the API (gunicorn), one or more realtime processes (daphne config.asgi), the outbox
relay, and nginx in front when it is installed (the repository's proxy snippets). Then:

1. opens SOCKETS authenticated sockets (one viewer account each) and subscribes them to a project,
2. drives task changes through the REST API at RATE per second, EVENTS of them,
3. measures on every socket the delivery latency from the event's commit (`occurred_at`) and
   from the API's response, counts lost, duplicated and out-of-order events,
4. samples the realtime processes' memory (RSS) and CPU, and reads their own
   event_delivery_latency_seconds histogram,
5. adds STEP more sockets and repeats (up to MAX_SOCKETS) until something gives: a socket fails to
   open, an event is lost, or p95 passes the target.

Every loop is bounded in count and time; every address is 127.0.0.1.

    python scripts/bench_ws.py --sockets 1000 --layer pubsub --realtime-processes 1
"""

import sys

# The benchmark's modules: scripts/ws_bench/ (this folder is the script's sys.path[0]).
from ws_bench.cli import main

if __name__ == "__main__":
    sys.exit(main(__doc__))
