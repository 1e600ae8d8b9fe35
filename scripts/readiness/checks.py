"""One check of one concern against one run: its verdict and the evidence, in a line."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import Check
from .evidence import JUnitCase, Run

# A status, not a password.
PASS = "pass"  # noqa: S105  # nosec B105
FAIL = "fail"
STALE = "stale"
MISSING = "not measured here"

SHOWN_FAILURES = 5


@dataclass
class Finding:
    status: str
    text: str
    failing: list[str] = field(default_factory=list)  # test ids, targets, checks that failed
    figures: list[dict[str, Any]] = field(default_factory=list)  # measured against a target


Judge = Callable[[Check, Run], Finding]


def judge(check: Check, run: Run) -> Finding:
    return JUDGES[check.kind](check, run)


# --- tests ---------------------------------------------------------------------------------------


def selects(pattern: str, case: JUnitCase) -> bool:
    """`pattern` is a test file, a folder, or `file::test` (a prefix of the node id)."""
    if "::" in pattern:
        return (
            case.id == pattern
            or case.id.startswith(pattern + "::")
            or case.id.startswith(pattern + "[")
        )
    dotted = pattern.removesuffix(".py").rstrip("/").replace("/", ".")
    return case.module == dotted or case.module.startswith(dotted + ".")


def tests(check: Check, run: Run) -> Finding:
    if run.tests is None:
        return Finding(MISSING, f"no readable JUnit XML in {run.location.name}/")
    patterns = check.params["select"]
    chosen = [c for c in run.tests if any(selects(p, c) for p in patterns)]
    where = ", ".join(f"`{p}`" for p in patterns)
    if not chosen:
        return Finding(MISSING, f"no test of {where} in this run")
    failed = [c.id for c in chosen if c.outcome == "failed"]
    passed = sum(c.outcome == "passed" for c in chosen)
    skipped = [c for c in chosen if c.outcome == "skipped"]
    counts = f"{passed} passed" + (f", {len(skipped)} skipped" if skipped else "")
    if failed:
        shown = ", ".join(f"`{i}`" for i in failed[:SHOWN_FAILURES])
        more = f" and {len(failed) - SHOWN_FAILURES} more" if len(failed) > SHOWN_FAILURES else ""
        return Finding(FAIL, f"{len(failed)} failed ({shown}{more}), {counts}: {where}", failed)
    if skipped:  # a skipped test proves nothing: the claim is only partly measured here
        return Finding(MISSING, f"{counts} ({skipped[0].message}): {where}")
    return Finding(PASS, f"{counts}: {where}")


# --- coverage ------------------------------------------------------------------------------------


def coverage_floor(root: Path) -> float | None:
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    return pyproject.get("tool", {}).get("coverage", {}).get("report", {}).get("fail_under")


def coverage(check: Check, run: Run) -> Finding:
    if run.coverage is None:
        return Finding(MISSING, "no coverage.json in this run")
    floor = check.params.get("min")
    if floor is None:
        floor = coverage_floor(Path(__file__).resolve().parents[2])
    measured = round(float(run.coverage["totals"]["percent_covered"]), 2)
    figure = {"what": "coverage", "measured": measured, "target": floor, "kind": "min", "unit": "%"}
    if floor is None:
        return Finding(MISSING, f"coverage {measured} % but no floor to judge it against")
    status = PASS if measured >= floor else FAIL
    return Finding(status, f"coverage {measured:.1f} % (floor {floor} %)", figures=[figure])


# --- whole runs and their steps ----------------------------------------------------------------


def whole_run(check: Check, run: Run) -> Finding:
    if run.exit_code == 0:
        return Finding(PASS, f"`{run.input.make}` exited 0")
    tail = " / ".join(run.last_lines(2))
    return Finding(FAIL, f"`{run.input.make}` exited {run.exit_code}: {tail}")


def step(check: Check, run: Run) -> Finding:
    wanted = check.params["step"]
    steps = run.steps
    if wanted not in steps:
        if run.exit_code == 0:
            return Finding(MISSING, f"no step `{wanted}` in the output of `{run.input.make}`")
        return Finding(MISSING, f"`{run.input.make}` failed before `{wanted}`")
    went_past = steps.index(wanted) < len(steps) - 1 or run.exit_code == 0
    if went_past:
        return Finding(PASS, f"`{wanted}` passed (`{run.input.make}`)")
    tail = " / ".join(run.last_lines(2))
    return Finding(FAIL, f"`{wanted}` failed (`{run.input.make}`): {tail}")


# --- load tests, fault scenarios, benchmark ----------------------------------------------------


def _shown(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{value * 100:.2f} %"
    return f"{value:,.1f} {unit}".replace(".0 ", " ").strip()


def target(check: Check, run: Run) -> Finding:
    rows = (run.result or {}).get("targets") or []
    keys = check.params["keys"]
    chosen = rows if keys == ["*"] else [r for r in rows if r.get("key") in keys]
    absent = [] if keys == ["*"] else [k for k in keys if k not in {r.get("key") for r in rows}]
    if not chosen:
        return Finding(MISSING, f"run {run.result and run.result.get('run')} has no row {keys}")
    parts, failing, figures = [], [], []
    for row in chosen:
        sign = ">=" if row["kind"] == "min" else "<"
        measured, wanted = _shown(row["measured"], row["unit"]), _shown(row["target"], row["unit"])
        parts.append(f"{row['what']} {measured} (target {sign} {wanted}): {row['result']}")
        figures.append(
            {k: row.get(k) for k in ("key", "what", "measured", "target", "kind", "unit")}
        )
        if row["result"] not in ("pass", "skipped"):
            failing.append(row["key"])
    if len(parts) > SHOWN_FAILURES:  # a whole table: the misses, and how many were met
        met = len(parts) - len(failing)
        parts = [p for p, row in zip(parts, chosen, strict=True) if row["key"] in failing]
        parts.append(f"{met} other targets met")
    text = f"run {run.result.get('run')}: " + "; ".join(parts)
    if failing:
        return Finding(FAIL, text, failing, figures)
    if absent:
        return Finding(MISSING, text + f"; not in the run: {absent}", figures=figures)
    return Finding(PASS, text, figures=figures)


def scenario(check: Check, run: Run) -> Finding:
    name = check.params["scenario"]
    found = [s for s in (run.result or {}).get("scenarios", []) if s.get("scenario") == name]
    if not found:
        return Finding(MISSING, f"no scenario {name} in `{run.input.make}`'s results")
    result = found[0]
    failing = [k for k, ok in result.get("checks", {}).items() if not ok]
    reconciliation = result.get("reconciliation") or {}
    if reconciliation and not reconciliation.get("ok", True):
        failing.append("reconciliation: " + "; ".join(reconciliation.get("problems", [])[:2]))
    checks = result.get("checks", {})
    passed = sum(bool(v) for v in checks.values())
    text = f"{result['title']}: {passed}/{len(checks)} checks pass"
    if reconciliation:
        counts = reconciliation.get("counts", {})
        text += (
            f", reconciliation {'clean' if reconciliation.get('ok') else 'FAILED'} "
            f"({counts.get('accepted found exactly once', '?')} of "
            f"{counts.get('accepted', '?')} accepted commands found exactly once)"
        )
    if failing or not result.get("ok", False):
        shown = "; ".join(failing[:SHOWN_FAILURES]) or "the scenario failed"
        return Finding(FAIL, f"{text}; failed: {shown}", failing)
    return Finding(PASS, text)


def figure(check: Check, run: Run) -> Finding:
    variant, name = check.params["variant"], check.params["field"]
    unit = check.params.get("unit", "")
    rows = [v for v in (run.result or {}).get("variants", []) if v.get("label") == variant]
    value = rows[0].get(name) if rows else None
    if value is None:
        return Finding(MISSING, f"no {name} of variant {variant} in `{run.input.make}`'s results")
    title = rows[0].get("title", variant)
    if "max" in check.params:
        limit, kind, ok = check.params["max"], "max", value <= check.params["max"]
    else:
        limit, kind, ok = check.params["min"], "min", value >= check.params["min"]
    sign = "<=" if kind == "max" else ">="
    fig = {
        "what": f"{title}: {name}",
        "measured": value,
        "target": limit,
        "kind": kind,
        "unit": unit,
    }
    text = f"{title}: {name} {value:.2f} {unit} (target {sign} {limit} {unit})"
    return Finding(PASS if ok else FAIL, text, [] if ok else [name], [fig])


JUDGES: dict[str, Judge] = {
    "tests": tests,
    "coverage": coverage,
    "run": whole_run,
    "step": step,
    "target": target,
    "scenario": scenario,
    "figure": figure,
}
