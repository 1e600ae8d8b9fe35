"""make report: judge every concern of concerns.toml against the evidence, write the report.

    python -m readiness [--evidence var/evidence] [--records docs/evidence]
        [--markdown docs/readiness.md] [--json docs/readiness.json]
        [--baseline FILE] [--fail-on-regression]

Prints the count per status and each missing input with the command that makes it. With
--fail-on-regression, exits 1 when a concern whose evidence held in --baseline (pass or stale; by
default the committed --json, read before it is overwritten) fails now.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import catalogue as catalogue_module
from .assess import assess
from .checks import FAIL, MISSING, PASS, STALE
from .compare import changes, regressions
from .evidence import Missing, load_runs
from .freshness import Code
from .record import ROOT
from .render import markdown, report_data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalogue", type=Path, default=catalogue_module.DEFAULT_PATH)
    parser.add_argument("--evidence", type=Path, default=ROOT / "var" / "evidence")
    parser.add_argument("--records", type=Path, default=ROOT / "docs" / "evidence")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "readiness.md")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "readiness.json")
    parser.add_argument(
        "--baseline", type=Path, help="the report to compare with (default: --json)"
    )
    parser.add_argument("--fail-on-regression", action="store_true")
    parser.add_argument("--root", type=Path, default=ROOT, help="the git checkout judged")
    args = parser.parse_args(argv)

    baseline_path = args.baseline or args.json
    baseline = json.loads(baseline_path.read_text()) if baseline_path.is_file() else None

    catalogue = catalogue_module.load(args.catalogue)
    runs = load_runs(catalogue, args.evidence, args.records)
    code = Code.now(args.root)
    assessments = assess(catalogue, runs, code)
    data = report_data(catalogue, assessments, runs, code)

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2) + "\n")
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(markdown(data, catalogue))

    c = data["counts"]
    print(
        f"report: {c[PASS]} pass, {c[FAIL]} fail, {c[STALE]} stale, {c[MISSING]} not measured "
        f"here ({len(assessments)} concerns) -> {args.markdown}, {args.json}"
    )
    for run in runs.values():
        if isinstance(run, Missing):
            print(f"report: missing input {run.input.name}: {run.hint}")
    for item in data["concerns"]:
        if item["status"] == FAIL:
            print(f"report: FAIL {item['id']}: {item['claim']}")
    if baseline is None:
        print(f"report: no baseline at {baseline_path}; nothing to compare with")
        return 0
    for cid, was, now in changes(baseline, data):
        print(f"report: {cid}: {was} -> {now}")
    regressed = regressions(baseline, data)
    if regressed:
        print(
            f"report: {len(regressed)} concern(s) held in {baseline_path} and fail now: "
            f"{', '.join(regressed)}"
        )
        return 1 if args.fail_on_regression else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
