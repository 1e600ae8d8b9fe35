"""Gunicorn settings for the api service (config.wsgi:application).

One file for the native stack, the container image and Kubernetes; every value comes from a
GUNICORN_* environment variable with a default fit for a container:

    GUNICORN_BIND              address to listen on             0.0.0.0:8000
    GUNICORN_WORKERS           worker processes                 2 x CPUs + 1
    GUNICORN_WORKER_CLASS      gthread, sync, ...               gthread
    GUNICORN_THREADS           threads per gthread worker       4 (1 for other classes)
    GUNICORN_TIMEOUT           seconds before a silent worker is killed        60
    GUNICORN_GRACEFUL_TIMEOUT  seconds a stopping worker may finish requests   30
    GUNICORN_KEEPALIVE         seconds an idle upstream connection stays open  75
    GUNICORN_MAX_REQUESTS      requests before a worker is recycled (0: never) 0
    GUNICORN_MAX_REQUESTS_JITTER                                               0
    GUNICORN_CONTROL_SOCKET    path of the gunicornc control socket            none

Signals: HUP reloads this file and replaces the workers gracefully (with preload_app the
application code is the master's, so new code needs a restart); TERM stops gracefully within
GUNICORN_GRACEFUL_TIMEOUT; TTIN/TTOU add or remove a worker.

Metrics: with PROMETHEUS_MULTIPROC_DIR set, every worker writes its samples to files in that
folder and /metrics, served by any worker, adds them up. The folder is emptied when the master
starts (a previous run's counters would otherwise be counted again) and a dead worker's live
gauges are dropped when it exits.
"""

import logging
import os
from pathlib import Path

from prometheus_client import multiprocess

logger = logging.getLogger("gunicorn.error")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ValueError(f"{name} must be an integer, got {value!r}") from error


def _cpu_count() -> int:
    # The CPUs this process may run on (a container's cpuset), not all the host's.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# Containers listen on every interface of their own network namespace.
bind = os.environ.get("GUNICORN_BIND", "").strip() or "0.0.0.0:8000"
workers = _env_int("GUNICORN_WORKERS", 2 * _cpu_count() + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "").strip() or "gthread"
# Gunicorn turns a sync worker with more than one thread into gthread: give other classes one
# thread unless asked otherwise, so that the class asked for is the class that runs.
threads = _env_int("GUNICORN_THREADS", 4 if worker_class == "gthread" else 1)

# Load the application once in the master: workers fork with the code already imported (faster
# start, pages shared copy-on-write). Database and Redis connections are opened lazily, in the
# workers, so none is shared across a fork.
preload_app = True

# nginx gives up on a request after 30 s (504); the worker is killed only well after that.
timeout = _env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than nginx's upstream keepalive_timeout (60 s), so that nginx always closes an idle
# connection first and never sends a request on one Gunicorn is closing.
keepalive = _env_int("GUNICORN_KEEPALIVE", 75)
# Recycling bounds slow memory growth, but every recycled worker leaves its counter files in the
# multiprocess folder for /metrics to read: off unless asked for.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 0)

# The worker heartbeat file on tmpfs: a heartbeat on a slow or overlay disk can stall a worker.
if Path("/dev/shm").is_dir():  # noqa: S108 - tmpfs, the documented worker_tmp_dir  # nosec B108
    worker_tmp_dir = "/dev/shm"  # noqa: S108 - heartbeat files only, no data  # nosec B108

# Gunicorn 25+ opens a control socket for `gunicornc`, by default under $HOME. Signals, sent by
# the process manager or the orchestrator, already control the server: open the socket only
# where asked, at a path the deployment owns. (Older Gunicorn ignores both settings.)
control_socket_path = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if control_socket_path:
    control_socket = control_socket_path
else:
    control_socket_disable = True

# The application logs one JSON line per request; Gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").strip().lower() or "info"
proc_name = f"taskboard-{os.environ.get('SERVICE_NAME', 'api')}"


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    return Path(value) if value else None


# With preload_app the master imports the application, which opens its metric files in this
# folder, before on_starting runs: the folder must exist when this file is read (a container's
# fresh /tmp has none). Making it is idempotent, so a HUP's re-read changes nothing.
_directory_at_load = _multiproc_dir()
if _directory_at_load is not None:
    _directory_at_load.mkdir(parents=True, exist_ok=True)


def on_starting(server) -> None:
    """Start the master with an empty multiprocess folder (not run again on HUP reloads)."""
    directory = _multiproc_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    stale = list(directory.glob("*.db"))
    for path in stale:
        path.unlink()
    if stale:
        logger.info("Removed %d metric files of a previous run from %s", len(stale), directory)


def child_exit(server, worker) -> None:
    """Drop the live gauges of a worker that exited; its counters stay in the totals."""
    if _multiproc_dir() is not None:
        multiprocess.mark_process_dead(worker.pid)
