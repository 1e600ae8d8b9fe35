"""The runs the report reads: the latest run of each command (var/evidence/<name>/, written by
record.py) and the full runs on record (docs/evidence/<name>.json, committed)."""

from __future__ import annotations

import json
import re

# pytest's own JUnit XML, written on this machine: not untrusted input.
import xml.etree.ElementTree as ET  # nosec B405
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .catalogue import Catalogue, Input

STEP = re.compile(r"^== (.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class JUnitCase:
    id: str  # file-or-module::class::name, as close to pytest's node id as JUnit allows
    module: str  # dotted module path (services.api.tests.api.test_auth)
    outcome: str  # passed, failed, skipped
    message: str = ""


@dataclass
class Run:
    """One run of an input's command, with everything it left behind."""

    input: Input
    location: Path  # the folder of a latest run, the JSON file of a record
    meta: dict[str, Any]
    result: Any = None
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def exit_code(self) -> int | None:
        return self.meta.get("exit_code")

    @property
    def finished(self) -> str | None:
        return self.meta.get("finished") or self.meta.get("started")

    @cached_property
    def tests(self) -> list[JUnitCase] | None:
        """None when the run left no JUnit XML, or a truncated one (pytest killed mid-write)."""
        junit = self.files.get("junit.xml")
        try:
            return parse_junit(junit) if junit else None
        except ET.ParseError:
            return None

    @cached_property
    def coverage(self) -> dict[str, Any] | None:
        path = self.files.get("coverage.json")
        return json.loads(path.read_text()) if path else None

    @cached_property
    def steps(self) -> list[str]:
        """The "== step" headers of the run's output, in order (scripts/stack/validate.sh)."""
        log = self.files.get("output.log")
        return STEP.findall(log.read_text(errors="replace")) if log else []

    def last_lines(self, count: int = 3) -> list[str]:
        log = self.files.get("output.log")
        if not log:
            return []
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
        return lines[-count:]


@dataclass(frozen=True)
class Missing:
    input: Input
    reason: str

    @property
    def hint(self) -> str:
        return f"{self.reason}: run `{self.input.make}`"


def load_runs(catalogue: Catalogue, evidence: Path, records: Path) -> dict[str, Run | Missing]:
    return {
        name: (_record(spec, records) if spec.record else _latest(spec, evidence))
        for name, spec in catalogue.inputs.items()
    }


def _latest(spec: Input, evidence: Path) -> Run | Missing:
    folder = evidence / spec.name
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        return Missing(spec, f"no {_shown(meta_path)}")
    meta = json.loads(meta_path.read_text())
    if "exit_code" not in meta:
        return Missing(spec, f"the run in {_shown(folder)} did not finish")
    files = {p.name: p for p in folder.iterdir() if p.is_file()}
    result = json.loads(files["result.json"].read_text()) if "result.json" in files else None
    return Run(spec, folder, meta, result, files)


def _record(spec: Input, records: Path) -> Run | Missing:
    path = records / f"{spec.name}.json"
    if not path.is_file():
        return Missing(spec, f"no record {_shown(path)}")
    data = json.loads(path.read_text())
    return Run(spec, path, data["meta"], data["result"], {path.name: path})


def _shown(path: Path) -> str:
    """A path as the reader would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def parse_junit(path: Path) -> list[JUnitCase]:
    root = ET.parse(path).getroot()  # noqa: S314  # nosec B314
    cases = []
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        name = case.get("name", "")
        module, cls = _split_classname(classname, case.get("file"))
        file = case.get("file") or module.replace(".", "/") + ".py"
        node = "::".join(part for part in (file, cls, name) if part)
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = "failed", child.get("message", "")
                break
            if child.tag == "skipped":
                outcome, message = "skipped", child.get("message", "")
        cases.append(JUnitCase(node, module, outcome, message))
    return cases


def _split_classname(classname: str, file: str | None) -> tuple[str, str]:
    """pytest's JUnit classname is module.Class: the module is the part that names a test file."""
    if file:
        module = file.removesuffix(".py").replace("/", ".")
        return module, classname.removeprefix(module).lstrip(".")
    parts = classname.split(".")
    for i in range(len(parts), 0, -1):
        if parts[i - 1].startswith("test_") or parts[i - 1].endswith("_test"):
            return ".".join(parts[:i]), ".".join(parts[i:])
    return classname, ""
