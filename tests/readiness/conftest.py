"""Fixtures of the readiness report's tests: a throwaway git repository, and evidence written the
way record.py writes it, so each test breaks one piece of evidence and reads the row."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from readiness import catalogue, record  # noqa: E402
from readiness.assess import Assessment, assess  # noqa: E402
from readiness.evidence import load_runs  # noqa: E402
from readiness.freshness import Code  # noqa: E402

# A small catalogue: one concern per kind of check, over the files of the throwaway repository.
CATALOGUE = """
[groups]
order = ["API and auth", "Capacity", "Reliability", "Observability", "Operations"]

[inputs.test]
make = "make test"
what = "the test suite"

[inputs.validate]
make = "make validate-stack-config"
what = "static checks"

[inputs.smoke]
make = "make reliability-smoke"
what = "the fault scenarios, shorter"

[inputs.load]
make = "make loadtest"
what = "the load test"
record = true
ignores = ["app/tests"]

[inputs.faults]
make = "make reliability"
what = "the fault scenarios"
record = true

[inputs.bench]
make = "make bench"
what = "the benchmark"
record = true

[[concern]]
id = "auth"
group = "API and auth"
claim = "Login works"
covers = ["app/auth.py"]
check = [{ kind = "tests", input = "test", select = ["tests/test_auth.py"] }]

[[concern]]
id = "tasks"
group = "API and auth"
claim = "Tasks work"
covers = ["app/tasks.py"]
check = [{ kind = "tests", input = "test", select = ["tests/test_tasks.py"] }]

[[concern]]
id = "coverage"
group = "Operations"
claim = "Coverage at least 80 %"
covers = ["app"]
check = [{ kind = "coverage", input = "test", min = 80 }]

[[concern]]
id = "rules"
group = "Observability"
claim = "Alert rules fire"
covers = ["monitoring"]
check = [{ kind = "step", input = "validate", step = "promtool test rules" }]

[[concern]]
id = "routes"
group = "Observability"
claim = "Alerts are routed"
covers = ["monitoring"]
check = [{ kind = "step", input = "validate", step = "amtool config routes test" }]

[[concern]]
id = "throughput"
group = "Capacity"
claim = "2,000 requests/s"
covers = ["app"]
check = [{ kind = "target", input = "load", keys = ["read.throughput_rps"] }]

[[concern]]
id = "errors"
group = "Capacity"
claim = "Errors under 1 %"
covers = ["app"]
check = [{ kind = "target", input = "load", keys = ["read.error_rate"] }]

[[concern]]
id = "redis"
group = "Reliability"
claim = "Survives Redis going away"
covers = ["app"]
check = [
  { kind = "scenario", input = "faults", scenario = "redis_outage" },
  { kind = "scenario", input = "smoke", scenario = "redis_outage", optional = true },
]

[[concern]]
id = "read-cost"
group = "Capacity"
claim = "A cached read costs at most 1 ms"
covers = ["app"]
check = [
  { kind = "figure", input = "bench", variant = "cached", field = "gunicorn_cpu_ms", max = 1.0 },
]
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


class Project:
    """A git repository with a catalogue, and the evidence of its runs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.evidence = root / "var" / "evidence"
        self.records = root / "docs" / "evidence"
        self.catalogue_path = root / "concerns.toml"

    # --- the code ---

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, message: str = "change") -> None:
        git(self.root, "add", "--all")
        git(self.root, "commit", "--quiet", "-m", message)

    def code(self) -> dict[str, Any]:
        return record.code_identity(self.root)

    # --- the evidence ---

    def meta(self, exit_code: int = 0, **extra: Any) -> dict[str, Any]:
        return {
            "started": "2026-12-01T10:00:00Z",
            "finished": "2026-12-01T10:05:00Z",
            "exit_code": exit_code,
            "machine": {"host": "ci-1", "cpus": 2, "memory_gib": 8, "load_average": [1.0]},
            **self.code(),
            **extra,
        }

    def latest_run(self, name: str, exit_code: int = 0, **files: str) -> Path:
        folder = self.evidence / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "meta.json").write_text(json.dumps(self.meta(exit_code)))
        for filename, text in files.items():
            (folder / filename.replace("_", ".")).write_text(text)
        return folder

    def full_run(self, name: str, result: dict[str, Any], exit_code: int = 0) -> None:
        self.records.mkdir(parents=True, exist_ok=True)
        data = {"meta": self.meta(exit_code), "result": result}
        (self.records / f"{name}.json").write_text(json.dumps(data))

    def assess(self) -> dict[str, Assessment]:
        catalog = catalogue.load(self.catalogue_path)
        runs = load_runs(catalog, self.evidence, self.records)
        return {a.concern.id: a for a in assess(catalog, runs, Code.now(self.root))}


def junit(cases: Iterable[tuple[str, str, str]]) -> str:
    """JUnit XML as pytest writes it: (classname, name, outcome) per test case."""
    body = []
    for classname, name, outcome in cases:
        inner = {
            "passed": "",
            "failed": '<failure message="assert 1 == 2">trace</failure>',
            "skipped": '<skipped type="pytest.skip" message="chromium is missing">why</skipped>',
        }[outcome]
        body.append(
            f'<testcase classname="{classname}" name="{name}" time="0.1">{inner}</testcase>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">'
        + "".join(body)
        + "</testsuite></testsuites>"
    )


def load_result(**rows: tuple[float, float, str, str]) -> dict[str, Any]:
    """A load test's summary.json: key=(measured, target, kind, result)."""
    return {
        "run": "20261201-100000-full",
        "targets": [
            {
                "key": key.replace("__", "."),
                "what": key,
                "kind": kind,
                "target": target,
                "measured": measured,
                "unit": "req/s",
                "result": result,
            }
            for key, (measured, target, kind, result) in rows.items()
        ],
    }


def faults_result(ok: bool = True, problems: list[str] | None = None) -> dict[str, Any]:
    return {
        "scenarios": [
            {
                "scenario": "redis_outage",
                "title": "Redis stopped for 30 s under load",
                "ok": ok and not problems,
                "checks": {"error rate under 1 %": True, "the outbox drained": ok},
                "reconciliation": {
                    "ok": not problems,
                    "counts": {"accepted": 10, "accepted found exactly once": 10},
                    "problems": problems or [],
                },
            }
        ]
    }


@pytest.fixture
def project(tmp_path: Path) -> Project:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "dev")
    p = Project(repo)
    p.write("concerns.toml", CATALOGUE)
    p.write("app/auth.py", "LOGIN = 1\n")
    p.write("app/tasks.py", "TASKS = 1\n")
    p.write("monitoring/rules.yml", "groups: []\n")
    p.write("tests/test_auth.py", "def test_login(): pass\n")
    p.write("tests/test_tasks.py", "def test_create(): pass\n")
    p.write("README.md", "a project\n")
    p.commit("start")
    return p
