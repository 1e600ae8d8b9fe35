"""What the project's tools share: free ports, server processes and one percentile.

scripts/ (the benchmarks, the fault scenarios, the stack's checks), loadtests/ and the test suites
(services/api/tests, tests/) start the platform's processes, pick free ports and report
percentiles; they all do it through this package, so that their figures compare.

Why a package at the repository's root: the tools run as `.venv/bin/python scripts/x.py`,
`python loadtests/y.py` and under pytest, each with a different sys.path[0] (the script's own
folder, services/api for the tests), so no folder the three share is on sys.path by itself. The
repository's root is put on the path once, for every way of running them: `make install` writes
a .pth file naming it into the virtual environment (what an editable install of a package would
do, without one: the project is not a package, pyproject.toml's tool.uv.package), and pytest's
pythonpath names it too, for a pytest run outside that environment's site.

    from harness import free_port, percentile, ServerProcess
"""

from harness.percentiles import PERCENTILE_DEFINITION, percentile
from harness.ports import free_port, port_open
from harness.processes import (
    ProcessStartError,
    ServerProcess,
    http_answers,
    log_tail,
    wait_until,
)
from harness.redis import redis_answers, start_redis_server

__all__ = [
    "PERCENTILE_DEFINITION",
    "ProcessStartError",
    "ServerProcess",
    "free_port",
    "http_answers",
    "log_tail",
    "percentile",
    "port_open",
    "redis_answers",
    "start_redis_server",
    "wait_until",
]
