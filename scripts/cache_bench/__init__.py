"""The cache benchmark (`make bench-cache`), by job: config (where it runs), data (the seeded
world), server (the api under Gunicorn), mix (the clients' requests), measure (rounds and
figures), report (the printed table), cli (the flags and the run). scripts/bench_cache.py is its
entry point and describes the benchmark."""
