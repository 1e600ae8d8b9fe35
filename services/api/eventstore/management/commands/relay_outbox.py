"""The relay worker: publishes the outbox to the channel layer until told to stop.

It sleeps on PostgreSQL's LISTEN/NOTIFY (a trigger notifies on every outbox insert) and wakes at
the latest every OUTBOX_POLL_SECONDS in case a notification was missed, so it neither spins nor
lags. On SIGTERM or SIGINT it finishes the batch in hand and exits.
"""

import contextlib
import logging
import signal
import threading
import time
from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from core.metrics import add_worker_metrics_arguments, serve_worker_metrics
from eventstore.relay import Backoff, backlog, drain, relay_round

logger = logging.getLogger("eventstore.relay")

CHANNEL = "eventstore_outbox"


class Command(BaseCommand):
    help = "Publish committed events from the outbox to the channel layer (runs until stopped)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Drain once and exit.")
        parser.add_argument("--batch-size", type=int, default=settings.OUTBOX_BATCH_SIZE)
        parser.add_argument("--poll-seconds", type=float, default=settings.OUTBOX_POLL_SECONDS)
        add_worker_metrics_arguments(parser)
        parser.add_argument(
            "--max-seconds", type=float, default=0, help="Stop after this long (0: never)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        serve_worker_metrics(options)
        if options["once"]:
            published = drain(options["batch_size"])
            self.stdout.write(f"published {published}, backlog {backlog()}")
            return
        self._stopping = False
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        self._run(options)

    def _stop(self, signum: int, frame: Any) -> None:
        logger.info("relay stopping after the current batch")
        self._stopping = True

    def _listener(self) -> psycopg.Connection[Any] | None:
        """A connection LISTENing for new outbox rows; None on SQLite, or while PostgreSQL does
        not answer (the next round tries again, and polling covers the meantime)."""
        if connection.vendor != "postgresql":
            return None
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        try:
            listener = psycopg.connect(**params, autocommit=True)
            listener.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            logger.warning("cannot LISTEN for outbox rows yet: %s", exc.__class__.__name__)
            return None
        return listener

    def _run(self, options: dict[str, Any]) -> None:
        deadline = time.monotonic() + options["max_seconds"] if options["max_seconds"] else None
        listener = self._listener()
        backoff = Backoff()
        logger.info("relay started (listen=%s)", listener is not None)
        while not self._stopping and (deadline is None or time.monotonic() < deadline):
            close_old_connections()
            if listener is None:
                listener = self._listener()
            wait = relay_round(options["batch_size"], backoff, options["poll_seconds"])
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            listener = self._wait(listener, wait)
        if listener is not None:
            listener.close()
        logger.info("relay stopped")

    def _wait(
        self, listener: psycopg.Connection[Any] | None, seconds: float
    ) -> psycopg.Connection[Any] | None:
        """Returns at the first notification, or after `seconds` without one. Returns the
        listener, or None when its connection broke (a PostgreSQL restart): the relay keeps
        running and listens again once PostgreSQL answers."""
        if listener is None:
            time.sleep(min(seconds, 1.0))
            return None
        try:
            for _ in listener.notifies(timeout=seconds, stop_after=1):
                pass
        except psycopg.Error as exc:
            logger.warning(
                "the LISTEN connection broke (%s); listening again", exc.__class__.__name__
            )
            with contextlib.suppress(psycopg.Error):
                listener.close()
            time.sleep(min(seconds, 1.0))
            return None
        return listener
