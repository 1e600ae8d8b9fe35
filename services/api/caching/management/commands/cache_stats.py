"""Operators: the hit rate of each cache, from the same counters /metrics exposes.

Sources, in this order:
- `--url http://127.0.0.1:8010/metrics`: scrapes a running api process (under Gunicorn with
  PROMETHEUS_MULTIPROC_DIR, whichever worker answers reports every worker's counts).
- `--multiproc-dir DIR`, or PROMETHEUS_MULTIPROC_DIR when set: reads the metric files the
  Gunicorn workers on this machine write, exactly what /metrics would add up.
The counts run from the start of the api process (Gunicorn empties the folder when it starts).
With neither, there is nothing to read: this command's own process serves no requests.

Redis's own INFO counters (keyspace hits and misses) follow, labelled as what they are: every
key and client of the server, throttles and write-behind included.
"""

import os
import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from prometheus_client import CollectorRegistry, Metric, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from caching import store
from caching.store import CacheUnavailable

METRIC = "cache_requests"


class Command(BaseCommand):
    help = "Print the hit rate of each cache (cache_requests_total) and Redis's keyspace counters."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", help="A /metrics URL of the api to scrape.")
        parser.add_argument(
            "--multiproc-dir", help="The api's PROMETHEUS_MULTIPROC_DIR (default: the env's)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source, families = self._families(options)
        counts: dict[str, dict[str, float]] = defaultdict(lambda: {"hit": 0.0, "miss": 0.0})
        for family in families:
            if family.name != METRIC:
                continue
            for sample in family.samples:
                if sample.name == f"{METRIC}_total":
                    counts[sample.labels["cache"]][sample.labels["result"]] += sample.value
        self.stdout.write(f"source: {source}")
        self.stdout.write(f"{'cache':<18} {'hits':>10} {'misses':>10} {'hit rate':>9}")
        total = {"hit": 0.0, "miss": 0.0}
        for cache in sorted(counts):
            hits, misses = counts[cache]["hit"], counts[cache]["miss"]
            total["hit"] += hits
            total["miss"] += misses
            self.stdout.write(f"{cache:<18} {hits:>10.0f} {misses:>10.0f} {_rate(hits, misses)}")
        self.stdout.write(
            f"{'all':<18} {total['hit']:>10.0f} {total['miss']:>10.0f} "
            f"{_rate(total['hit'], total['miss'])}"
        )
        self._redis_counters()

    def _families(self, options: dict[str, Any]) -> tuple[str, Iterable[Metric]]:
        if options["url"]:
            if not options["url"].startswith(("http://", "https://")):
                raise CommandError("--url must be an http:// or https:// /metrics address")
            # The operator names the metrics URL to read, and only over HTTP.
            with urllib.request.urlopen(options["url"], timeout=10) as response:  # noqa: S310  # nosec B310
                text = response.read().decode()
            return f"{options['url']} (counts since that process started)", list(
                text_string_to_metric_families(text)
            )
        directory = options["multiproc_dir"] or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            if not os.path.isdir(directory):
                raise CommandError(f"{directory} is not a directory")
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=directory)
            return (
                f"{directory} (every Gunicorn worker's files, counts since the api started)",
                list(registry.collect()),
            )
        raise CommandError(
            "Nothing to read: pass --url http://HOST:PORT/metrics of the api, or run where the "
            "api's PROMETHEUS_MULTIPROC_DIR is (or pass --multiproc-dir)."
        )

    def _redis_counters(self) -> None:
        try:
            info = store.run("info", lambda client: client.info("stats"))
        except CacheUnavailable:
            self.stdout.write("redis: not configured or unreachable")
            return
        hits, misses = float(info["keyspace_hits"]), float(info["keyspace_misses"])
        self.stdout.write(
            f"redis server, every key and client (INFO stats): keyspace_hits={hits:.0f} "
            f"keyspace_misses={misses:.0f} ({_rate(hits, misses).strip()})"
        )


def _rate(hits: float, misses: float) -> str:
    lookups = hits + misses
    return f"{hits / lookups:>8.1%}" if lookups else f"{'-':>8}"
