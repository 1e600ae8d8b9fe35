"""The load-test runner (`make loadtest`, loadtests/run.py), by job: target (the machine and the
target), metrics (the platform's /metrics and Prometheus), locust (one phase's Locust processes),
phases (seed, read, mixed), verdict (targets against measurements), cli (the flags and the run)."""
