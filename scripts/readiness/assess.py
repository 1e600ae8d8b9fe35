"""Every concern of the catalogue judged against the runs, with the freshness of each run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .catalogue import Catalogue, Check, Concern, Input
from .checks import FAIL, MISSING, PASS, STALE, Finding, judge
from .evidence import Missing, Run
from .freshness import Code

SHOWN_CHANGES = 3


@dataclass
class Evidence:
    """One check's finding, and the run it comes from."""

    check: Check
    finding: Finding
    run: Run | None
    stale_because: str | None = None

    @property
    def status(self) -> str:
        if self.finding.status == PASS and self.stale_because:
            return STALE
        return self.finding.status


@dataclass
class Assessment:
    concern: Concern
    evidence: list[Evidence]

    @property
    def status(self) -> str:
        # A failure shows even on older code: the report never claims more than it saw.
        statuses = {e.status for e in self.evidence}
        for status in (FAIL, MISSING, STALE):
            if status in statuses:
                return status
        return PASS


def assess(catalogue: Catalogue, runs: dict[str, Run | Missing], code: Code) -> list[Assessment]:
    return [_assess(concern, catalogue.inputs, runs, code) for concern in catalogue.concerns]


def _assess(
    concern: Concern, inputs: dict[str, Input], runs: dict[str, Run | Missing], code: Code
) -> Assessment:
    evidence = []
    for check in concern.checks:
        run = runs[check.input]
        if isinstance(run, Missing):
            if not check.optional:
                evidence.append(Evidence(check, Finding(MISSING, run.hint), None))
            continue
        finding = judge(check, run)
        paths = tuple(dict.fromkeys(concern.covers + check.selected_tests))
        stale_because = _staleness(run, paths, inputs[check.input].ignores, code)
        evidence.append(Evidence(check, finding, run, stale_because))
    return Assessment(concern, evidence)


def _staleness(
    run: Run, paths: tuple[str, ...], ignores: tuple[str, ...], code: Code
) -> str | None:
    changed = code.changed_since(run.meta, paths, ignores)
    if changed is None:
        commit = run.meta.get("commit")
        if code.tree is None:
            return "this checkout is no git repository: whether the run measured it is unknown"
        if commit is None:
            return "the run recorded no commit, so whether it measured this code is unknown"
        return f"it measured commit {commit[:10]}, which this repository does not hold"
    if not changed:
        return None
    shown = ", ".join(changed[:SHOWN_CHANGES])
    more = f" and {len(changed) - SHOWN_CHANGES} more" if len(changed) > SHOWN_CHANGES else ""
    return f"measured before changes to {shown}{more}"


def counts(assessments: list[Assessment]) -> dict[str, int]:
    result = dict.fromkeys((PASS, FAIL, STALE, MISSING), 0)
    for assessment in assessments:
        result[assessment.status] += 1
    return result


def run_facts(run: Run) -> dict[str, Any]:
    """When, where and on what code a run was made, for the report."""
    meta = run.meta
    machine = meta.get("machine") or {}
    return {
        "finished": run.finished,
        "commit": meta.get("commit"),
        "uncommitted_changes": meta.get("uncommitted_changes"),
        "exit_code": meta.get("exit_code"),
        "machine": {
            k: machine.get(k) for k in ("host", "cpus", "memory_gib", "load_average", "ci")
        },
        "notes": meta.get("notes") or {},
        "source": meta.get("source"),
    }
