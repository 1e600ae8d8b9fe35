"""The realtime processes' own view: memory and CPU from /proc, latency histograms from
/metrics."""

from __future__ import annotations

import os

import requests


def process_sample(pid: int) -> tuple[float, float]:
    """(RSS in MiB, CPU seconds used so far) of one process."""
    rss = 0.0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / ticks


def server_histogram(port: int, name: str = "event_delivery_latency_seconds") -> dict[float, float]:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith(f"{name}_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = float(
                line.rsplit(" ", 1)[1]
            )
    return buckets


def histogram_quantile(buckets: dict[float, float], fraction: float) -> float:
    """The upper bound of the bucket holding the quantile (Prometheus style, no interpolation)."""
    total = max(buckets.values(), default=0)
    if not total:
        return float("nan")
    for bound in sorted(buckets):
        if buckets[bound] >= fraction * total:
            return bound
    return float("inf")
