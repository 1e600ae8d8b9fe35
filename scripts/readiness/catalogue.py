"""The concern catalogue (concerns.toml) as typed, validated data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).with_name("concerns.toml")

# The parameters each kind of check needs besides `input`.
REQUIRED: dict[str, tuple[str, ...]] = {
    "tests": ("select",),
    "coverage": (),
    "run": (),
    "step": ("step",),
    "target": ("keys",),
    "scenario": ("scenario",),
    "figure": ("variant", "field"),
}


class CatalogueError(ValueError):
    """concerns.toml says something the report cannot judge."""


@dataclass(frozen=True)
class Input:
    name: str
    make: str
    what: str
    record: bool = False
    # Paths the run never executes (the test suite, for a load test): their changes leave its
    # evidence current.
    ignores: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    kind: str
    input: str
    optional: bool = False
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def selected_tests(self) -> tuple[str, ...]:
        """The test files a `tests` check reads (their changes make its evidence stale too)."""
        return tuple(s.split("::")[0] for s in self.params.get("select", ()))


@dataclass(frozen=True)
class Concern:
    id: str
    group: str
    claim: str
    covers: tuple[str, ...]
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Catalogue:
    groups: tuple[str, ...]
    inputs: dict[str, Input]
    concerns: tuple[Concern, ...]


def load(path: Path = DEFAULT_PATH) -> Catalogue:
    data = tomllib.loads(path.read_text())
    groups = tuple(data.get("groups", {}).get("order", ()))
    inputs = {
        name: Input(
            name=name,
            make=spec["make"],
            what=spec["what"],
            record=spec.get("record", False),
            ignores=tuple(spec.get("ignores", ())),
        )
        for name, spec in data.get("inputs", {}).items()
    }
    concerns = tuple(_concern(raw, groups, inputs) for raw in data.get("concern", ()))
    ids = [c.id for c in concerns]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogueError(f"concern ids used twice: {duplicates}")
    return Catalogue(groups=groups, inputs=inputs, concerns=concerns)


def _concern(raw: dict[str, Any], groups: tuple[str, ...], inputs: dict[str, Input]) -> Concern:
    name = raw.get("id", "?")
    for key in ("id", "group", "claim", "covers", "check"):
        if key not in raw:
            raise CatalogueError(f"concern {name}: `{key}` is missing")
    if raw["group"] not in groups:
        raise CatalogueError(f"concern {name}: group {raw['group']!r} is not in [groups].order")
    checks = []
    for spec in raw["check"]:
        params = {k: v for k, v in spec.items() if k not in ("kind", "input", "optional")}
        kind, source = spec.get("kind"), spec.get("input")
        if kind not in REQUIRED:
            raise CatalogueError(f"concern {name}: unknown check kind {kind!r}")
        if source not in inputs:
            raise CatalogueError(f"concern {name}: unknown input {source!r}")
        missing = [p for p in REQUIRED[kind] if p not in params]
        if missing:
            raise CatalogueError(f"concern {name}: a {kind} check needs {missing}")
        checks.append(Check(kind, source, bool(spec.get("optional", False)), params))
    if all(c.optional for c in checks):
        raise CatalogueError(f"concern {name}: needs at least one check that is not optional")
    return Concern(
        id=raw["id"],
        group=raw["group"],
        claim=raw["claim"],
        covers=tuple(raw["covers"]),
        checks=tuple(checks),
    )
