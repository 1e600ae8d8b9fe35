"""The report as data (readiness.json) and as the page a team lead reads (readiness.md)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from .assess import Assessment, counts, run_facts
from .catalogue import Catalogue
from .checks import FAIL, MISSING, PASS, STALE
from .evidence import Missing, Run
from .freshness import Code

SCHEMA = 1


def report_data(
    catalogue: Catalogue,
    assessments: list[Assessment],
    runs: dict[str, Run | Missing],
    code: Code,
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "code": {"commit": code.commit, "uncommitted_changes": code.uncommitted_changes},
        "counts": counts(assessments),
        "concerns": [_concern(a) for a in assessments],
        "inputs": [_input(name, runs[name], catalogue) for name in catalogue.inputs],
    }


def _concern(assessment: Assessment) -> dict[str, Any]:
    concern = assessment.concern
    return {
        "id": concern.id,
        "group": concern.group,
        "claim": concern.claim,
        "status": assessment.status,
        "evidence": [
            {
                "input": e.check.input,
                "kind": e.check.kind,
                "status": e.status,
                "text": e.finding.text,
                "failing": e.finding.failing,
                "figures": e.finding.figures,
                "stale_because": e.stale_because,
                "run": run_facts(e.run) if e.run else None,
            }
            for e in assessment.evidence
        ],
    }


def _input(name: str, run: Run | Missing, catalogue: Catalogue) -> dict[str, Any]:
    spec = catalogue.inputs[name]
    base = {"name": name, "make": spec.make, "what": spec.what, "record": spec.record}
    if isinstance(run, Missing):
        return base | {"present": False, "missing": run.reason}
    return base | {"present": True, "location": _relative(run.location)} | run_facts(run)


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path.resolve(), Path.cwd())
    except ValueError:
        return str(path)


# --- Markdown ------------------------------------------------------------------------------------

BADGE = {PASS: "pass", FAIL: "**FAIL**", STALE: "*stale*", MISSING: "not measured here"}

INTRO = """\
# Production readiness

Written by `make report` (scripts/readiness/) from the artefacts of the latest runs
(var/evidence/) and the full runs on record (docs/evidence/): every status below comes from a
run's own output, nothing from a hand-written figure. Do not edit it; run the commands again.

Code: commit {commit}{dirty}. Report generated {generated}.

**{pass_} pass · {fail} fail · {stale} stale · {missing} not measured here** ({total} concerns)

- **pass**: the run's evidence holds and it measured the code as it is now.
- **FAIL**: a test failed or a figure missed its target (shown even when measured on older code).
- *stale*: the evidence held, but the code it covers changed after the run: run it again.
- not measured here: the run is missing, or skipped what proves the claim (the last table
  names the command that makes each input).

The load, fault and benchmark figures come from the last full runs on record (docs/evidence/,
with their date and machine): they cannot run on every change. Each claim, its checks and the
code it covers are data: scripts/readiness/concerns.toml.
"""


def markdown(data: dict[str, Any], catalogue: Catalogue) -> str:
    c = data["counts"]
    commit = data["code"]["commit"]
    lines = [
        INTRO.format(
            commit=f"`{commit[:10]}`" if commit else "unknown (not a git checkout)",
            dirty=" with uncommitted changes" if data["code"]["uncommitted_changes"] else "",
            generated=_when(data["generated"]),
            pass_=c[PASS],
            fail=c[FAIL],
            stale=c[STALE],
            missing=c[MISSING],
            total=sum(c.values()),
        )
    ]
    for group in catalogue.groups:
        rows = [x for x in data["concerns"] if x["group"] == group]
        if not rows:
            continue
        lines += [
            f"## {group}",
            "",
            "| concern | status | evidence | measured |",
            "|---|---|---|---|",
        ]
        lines += [_row(row) for row in rows]
        lines.append("")
    lines += [
        "## Inputs",
        "",
        "| input | what | made by | last run | finished | machine | commit |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in data["inputs"]:
        lines.append(_input_row(item))
    lines.append("")
    return "\n".join(lines)


def _row(row: dict[str, Any]) -> str:
    evidence, measured = [], []
    for e in row["evidence"]:
        text = e["text"]
        if e["stale_because"]:
            text += f" *(stale: {e['stale_because']})*"
        if len(row["evidence"]) > 1:
            text = f"{_badge(e['status'])}: {text}"
        evidence.append(f"{e['input']}: {text}")
        if e["run"]:
            measured.append(_measured(e["run"]))
    # Several checks of one missing input say the same thing: once is enough.
    evidence, measured = list(dict.fromkeys(evidence)), list(dict.fromkeys(measured))
    return (
        f"| {_cell(row['claim'])} | {_badge(row['status'])} | "
        f"{'<br>'.join(_cell(x) for x in evidence)} | {'<br>'.join(measured) or '-'} |"
    )


def _input_row(item: dict[str, Any]) -> str:
    first = f"| {item['name']} | {item['what']} | `{item['make']}` |"
    if not item["present"]:
        return f"{first} missing: {item['missing']} | - | - | - |"
    status = "exit 0" if item["exit_code"] == 0 else f"**exit {item['exit_code']}**"
    if item["notes"]:  # how the run was made (make fuzz FUZZ_EXAMPLES=...)
        status += " (" + ", ".join(f"{k}={v}" for k, v in item["notes"].items()) + ")"
    if item["record"]:
        # The report lives in docs/, beside the records' folder.
        name = Path(item["location"]).name
        where = f"[evidence/{name}](evidence/{name})"
    else:
        where = f"{item['location']}/"
    commit = f"`{item['commit'][:10]}`" if item["commit"] else "-"
    if item["uncommitted_changes"]:
        commit += " + changes"
    return (
        f"{first} {status}, {where} | {_when(item['finished'])} | "
        f"{_machine(item['machine'])} | {commit} |"
    )


def _measured(run: dict[str, Any]) -> str:
    commit = f"`{run['commit'][:7]}`" if run["commit"] else "no commit"
    if run["uncommitted_changes"]:
        commit += " + changes"
    return f"{_when(run['finished'])}, {_machine(run['machine'])}, {commit}"


def _machine(machine: dict[str, Any]) -> str:
    parts = [machine.get("host") or "host not recorded"]
    if machine.get("cpus"):
        parts.append(f"{machine['cpus']} CPUs")
    if machine.get("memory_gib"):
        parts.append(f"{machine['memory_gib']} GiB")
    if machine.get("load_average"):
        parts.append(f"load {machine['load_average'][0]}")
    if machine.get("ci"):
        parts.append("CI")
    return " ".join(parts[:1]) + (f" ({', '.join(parts[1:])})" if parts[1:] else "")


def _when(stamp: str | None) -> str:
    if not stamp:
        return "?"
    return stamp.replace("T", " ").removesuffix("Z")[:16] + " UTC"


def _badge(status: str) -> str:
    return BADGE[status]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
