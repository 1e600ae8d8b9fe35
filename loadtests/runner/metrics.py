"""The platform's own metrics, read before and after a phase."""

from __future__ import annotations

import argparse
import json
import urllib.parse
import urllib.request

from runner.common import say
from runner.target import get


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    samples = {}
    for family in text_string_to_metric_families(get(url)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


# The principal cache (the caller's user row and roles, looked up on every authenticated request)
# hits almost always; counting it would flatter the read caches' hit rate, the target's subject.
NOT_READ_CACHES = ("principal",)


def cache_counts(args: argparse.Namespace) -> dict[str, float] | None:
    """hit and miss totals of cache_requests_total over the read caches, from /metrics or else
    Prometheus."""
    try:
        if args.metrics_url:
            counts = {"hit": 0.0, "miss": 0.0}
            for (name, labels), value in scrape(args.metrics_url).items():
                if name == "cache_requests_total":
                    result = dict(labels).get("result")
                    if result in counts and dict(labels).get("cache") not in NOT_READ_CACHES:
                        counts[result] += value
            return counts
        if args.prometheus_url:
            excluded = "|".join(NOT_READ_CACHES)
            query = urllib.parse.urlencode(
                {"query": f'sum by (result) (cache_requests_total{{cache!~"{excluded}"}})'}
            )
            body = json.loads(get(f"{args.prometheus_url.rstrip('/')}/api/v1/query?{query}"))
            return {
                r["metric"].get("result", "?"): float(r["value"][1]) for r in body["data"]["result"]
            }
    except (OSError, ValueError, KeyError) as error:
        say(f"warning: cannot read the cache metrics: {error}")
    return None


def histogram(url: str, name: str) -> dict[float, float]:
    buckets: dict[float, float] = {}
    for (sample, labels), value in scrape(url).items():
        if sample == f"{name}_bucket":
            le = float(dict(labels)["le"])
            buckets[le] = buckets.get(le, 0.0) + value
    return buckets


def histogram_p95(before: dict[float, float], after: dict[float, float]) -> float | None:
    """p95 (ms) of the observations between two scrapes, interpolated like histogram_quantile."""
    delta = sorted((le, after.get(le, 0) - before.get(le, 0)) for le in after)
    if not delta or delta[-1][1] <= 0:
        return None
    rank, lower, below = 0.95 * delta[-1][1], 0.0, 0.0
    for le, count in delta:
        if count >= rank:
            if le == float("inf"):
                return lower * 1000
            return (lower + (le - lower) * (rank - below) / max(count - below, 1e-9)) * 1000
        lower, below = le, count
    return None
