"""Where the benchmark runs: the repository, the servers it uses, its scratch database."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API_DIR = ROOT / "services" / "api"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Unset: the benchmark runs a redis-server of its own on a free port, so that nothing else using
# a shared Redis (tests flushing their database) disturbs the cache under measurement.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "")
SCRATCH = "taskboard_bench_cache"
