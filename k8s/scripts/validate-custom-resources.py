#!/usr/bin/env python3
"""Validate the custom resources of rendered manifests against k8s/schemas/, strictly.

kubernetes-validate covers Kubernetes' own kinds only; this covers the others (cert-manager,
Prometheus Operator). A custom kind without a schema in k8s/schemas/ is an error, so a new kind
cannot slip through unchecked.

    python k8s/scripts/validate-custom-resources.py RENDERED.yaml [...]

Needs PyYAML and jsonschema (the infra dependency group of uv.lock).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
# API groups of Kubernetes itself, which kubernetes-validate checks.
BUILTIN_GROUPS = {"", "apps", "batch", "autoscaling", "policy"}


def is_builtin(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return group in BUILTIN_GROUPS or group.endswith(".k8s.io")


def schema_for(api_version: str, kind: str) -> dict[str, Any] | None:
    group, _, version = api_version.rpartition("/")
    path = SCHEMAS / f"{group}_{version}_{kind}.yaml"
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def errors(documents: list[dict[str, Any]]) -> list[str]:
    found = []
    for doc in documents:
        if not doc or is_builtin(doc["apiVersion"]):
            continue
        where = f"{doc['kind']}/{doc.get('metadata', {}).get('name', '?')}"
        schema = schema_for(doc["apiVersion"], doc["kind"])
        if schema is None:
            found.append(
                f"{where}: no schema for {doc['apiVersion']} {doc['kind']} in k8s/schemas/"
            )
            continue
        validator = jsonschema.Draft202012Validator(schema)
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            path = "/".join(str(p) for p in error.absolute_path) or "(root)"
            found.append(f"{where}: {path}: {error.message}")
    return found


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for name in paths:
        with open(name, encoding="utf-8") as handle:
            documents = [d for d in yaml.safe_load_all(handle) if d]
        found = errors(documents)
        for line in found:
            print(f"{name}: {line}", file=sys.stderr)
        failed |= bool(found)
        checked = sum(1 for d in documents if not is_builtin(d["apiVersion"]))
        if not found:
            print(f"  {checked} custom resources valid against k8s/schemas/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
