"""One phase's Locust processes (loadtests/runner/locust.py), with a stand-in for Locust: the
master and its workers are started with their logs, the summary is read, a failure shows the
master's log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "loadtests"))

from runner import locust  # noqa: E402

STAND_IN = """#!/bin/sh
# A worker leaves a mark and goes; the master writes the summary Locust's suites write.
case " $* " in
  *" --worker "*) echo "worker of $LOADTEST_DATASET"; exit 0 ;;
esac
echo "master: $*"
if [ -n "$FAIL_WITH" ]; then echo "cannot reach the target" >&2; exit "$FAIL_WITH"; fi
echo '{"groups": {"read": {"requests": 10}}}' > "$LOADTEST_SUMMARY"
"""


def _args(tmp_path: Path, workers: int) -> argparse.Namespace:
    return argparse.Namespace(
        run_dir=tmp_path,
        spawn_rate=10.0,
        dataset=tmp_path / "dataset.json",
        workers=workers,
        ca=None,
        profile_conf={},
        target="https://127.0.0.1:1",
        loadgen_cpus="",
        master_port=5557,
        progress_every=60.0,
    )


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "locust"
    script.write_text(STAND_IN)
    script.chmod(0o755)
    monkeypatch.setattr(locust, "LOCUST", script)
    return script


def test_a_phase_runs_the_master_and_its_workers_and_reads_the_summary(tmp_path, stand_in):
    summary = locust.run_locust(_args(tmp_path, workers=2), "read", ["ReadUser"], 10, 1, {})

    assert summary == {"groups": {"read": {"requests": 10}}}
    assert "--master --expect-workers 2" in (tmp_path / "read-locust.log").read_text()
    for n in range(2):
        assert "worker of" in (tmp_path / f"read-worker-{n}.log").read_text()


def test_a_failed_phase_stops_the_run_with_the_masters_log(tmp_path, stand_in, monkeypatch):
    monkeypatch.setenv("FAIL_WITH", "2")

    with pytest.raises(SystemExit, match=r"exit 2\):\n[\s\S]*cannot reach the target"):
        locust.run_locust(_args(tmp_path, workers=0), "mixed", ["ReadUser"], 10, 1, {})
