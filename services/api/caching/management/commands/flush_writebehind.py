"""The write-behind flusher: moves buffered task views from Redis to PostgreSQL until stopped.

It flushes at start, then every --interval seconds. On SIGTERM or SIGINT it stops waiting,
flushes one last time and exits, so a graceful stop (a deploy, `supervisorctl stop`, a pod's
termination) leaves nothing behind. A SIGKILL or a crash leaves at most the views buffered since
the last flush in Redis, where the next run finds them (caching/writebehind.py).
"""

import logging
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from caching import store, writebehind
from caching.store import CacheUnavailable
from core.metrics import add_worker_metrics_arguments, serve_worker_metrics

logger = logging.getLogger("caching.writebehind")


class Command(BaseCommand):
    help = "Flush buffered task views from Redis to PostgreSQL every few seconds (until stopped)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Flush once and exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.WRITEBEHIND_FLUSH_SECONDS,
            help="Seconds between flushes (WRITEBEHIND_FLUSH_SECONDS).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=settings.WRITEBEHIND_BATCH_SIZE,
            help="Tasks per PostgreSQL transaction (WRITEBEHIND_BATCH_SIZE).",
        )
        parser.add_argument(
            "--max-seconds", type=float, default=0, help="Stop after this long (0: never)."
        )
        add_worker_metrics_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        serve_worker_metrics(options)
        if options["once"]:
            if not store.uses_redis():
                self.stdout.write("nothing to flush: no Redis configured")
                return
            result = writebehind.flush(options["batch_size"])
            self.stdout.write(
                f"flushed {result.views} views of {result.tasks} tasks"
                f" ({result.chunks_skipped} chunks already applied)"
            )
            return
        self._stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._stopping)
            signal.signal(signal.SIGINT, self._stopping)
        self._run(options)

    def _stopping(self, signum: int, frame: Any) -> None:
        logger.info("flusher stopping after a final flush")
        self._stop.set()

    def _run(self, options: dict[str, Any]) -> None:
        deadline = time.monotonic() + options["max_seconds"] if options["max_seconds"] else None
        logger.info("flusher started (every %.1f s)", options["interval"])
        while True:
            self._flush(options["batch_size"])
            wait = options["interval"]
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
            if self._stop.is_set() or wait <= 0 or self._stop.wait(wait):
                break
        self._flush(options["batch_size"])  # the final flush of a graceful stop
        logger.info("flusher stopped")

    def _flush(self, batch_size: int) -> None:
        close_old_connections()
        if not store.uses_redis():
            return
        try:
            result = writebehind.flush(batch_size)
        except CacheUnavailable:
            logger.warning("flush skipped: Redis unavailable; the buffer waits there")
            return
        except Exception:
            logger.exception("flush failed; the batch stays in Redis for the next one")
            return
        if result.views or result.chunks_skipped:
            logger.info(
                "flushed %d views of %d tasks (%d chunks already applied)",
                result.views,
                result.tasks,
                result.chunks_skipped,
            )
