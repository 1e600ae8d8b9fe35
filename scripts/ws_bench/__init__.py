"""The WebSocket benchmark (`make bench-ws`), by job: config (where it runs, the processes'
environment), services (the processes under test), data (database and accounts), clients (the
sockets), writes (the changes), probes (/proc and /metrics), step (one step of the ramp), run
(the ramp), layers (the channel layers alone), cli (the flags). scripts/bench_ws.py is its entry
point and describes the benchmark."""
