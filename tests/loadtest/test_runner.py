"""The load-test runner's arithmetic: the verdict table and the histogram percentile."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "loadtests"))

from runner import metrics, verdict  # noqa: E402


def _args(profile: str = "full", local: bool = True) -> argparse.Namespace:
    targets = tomllib.loads((ROOT / "loadtests" / "targets.toml").read_text())
    return argparse.Namespace(
        targets=targets, profile_conf=targets["profiles"][profile], local=local
    )


def _results(rps: float, p95: float, hit_rate: float) -> dict:
    group = {
        "requests": 1000,
        "failures": 0,
        "error_rate": 0.0,
        "rps": rps,
        "p95_ms": p95,
        "p99_ms": p95 * 2,
    }
    return {
        "read": {"groups": {"read": group}, "cache": {"hit_rate": hit_rate}},
        "gunicorn_workers_rss_mb": [100.0, 120.0],
    }


def test_a_read_phase_that_meets_its_targets_passes_every_read_row():
    rows = verdict.verdict(_args(), _results(rps=2500, p95=40, hit_rate=0.95))
    read_rows = [r for r in rows if r["key"].startswith("read.")]
    assert len(read_rows) == 5
    assert all(r["result"] == "pass" for r in read_rows)


def test_a_missed_throughput_fails_and_rows_of_phases_not_run_are_left_out():
    rows = {r["key"]: r for r in verdict.verdict(_args(), _results(rps=500, p95=40, hit_rate=0.9))}
    assert rows["read.throughput_rps"]["result"] == "FAIL"
    assert not any(key.startswith("mixed.") for key in rows)
    assert rows["memory.realtime_rss_mb"]["result"] == "not measured"


def test_memory_rows_are_skipped_against_a_remote_target():
    rows = {r["key"]: r for r in verdict.verdict(_args(local=False), {"read": {"groups": {}}})}
    assert rows["memory.gunicorn_worker_rss_mb"]["result"] == "skipped"


def test_the_smoke_profile_judges_only_its_own_targets():
    rows = verdict.verdict(_args("smoke"), _results(rps=20, p95=500, hit_rate=0.6))
    assert {r["key"] for r in rows} <= set(_args("smoke").profile_conf["targets"])
    assert all(r["result"] == "pass" for r in rows if r["key"].startswith("read."))


def test_histogram_p95_interpolates_within_the_bucket_of_the_95th_observation():
    before = {0.05: 0.0, 0.1: 0.0, float("inf"): 0.0}
    after = {0.05: 50.0, 0.1: 100.0, float("inf"): 100.0}  # cumulative buckets
    assert abs(metrics.histogram_p95(before, after) - 95.0) < 1e-6
    assert metrics.histogram_p95(after, after) is None


def test_the_sustained_profile_keeps_every_target_but_the_throughput():
    args = _args("sustained")
    overrides = args.profile_conf["targets"]
    for key, _label, _kind, _unit in verdict.ROWS:
        section, name = key.split(".")
        if key == "read.throughput_rps":
            assert overrides[key] < args.targets[section][name]
            assert overrides[key] <= args.profile_conf["read_rps"]
        else:
            assert overrides[key] == args.targets[section][name], key


def test_the_hit_rate_counts_the_read_caches_and_not_the_principal(monkeypatch):
    samples = {
        ("cache_requests_total", (("cache", "task_list"), ("result", "hit"))): 80.0,
        ("cache_requests_total", (("cache", "task_list"), ("result", "miss"))): 20.0,
        ("cache_requests_total", (("cache", "principal"), ("result", "hit"))): 1000.0,
        ("cache_requests_total", (("cache", "principal"), ("result", "miss"))): 1.0,
        ("http_requests_total", (("result", "hit"),)): 5.0,
    }
    monkeypatch.setattr(metrics, "scrape", lambda url: samples)
    args = argparse.Namespace(metrics_url="http://127.0.0.1:1/metrics", prometheus_url=None)
    assert metrics.cache_counts(args) == {"hit": 80.0, "miss": 20.0}
