#!/usr/bin/env python3
"""Copy the shared nginx and Prometheus rule files into k8s/base/config/.

kustomize reads no file outside the kustomization's root, so the configMapGenerator in
k8s/base/kustomization.yaml reads copies. The sources stay the single place to edit:

    python3 k8s/scripts/sync-config.py           copy (make k8s-sync)
    python3 k8s/scripts/sync-config.py --check   exit 1 if a copy is missing, stale or extra
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEST = ROOT / "k8s" / "base" / "config"

# (source folder, glob, destination folder), all relative to the repository root / DEST.
SOURCES = (
    ("nginx", "nginx.conf", "nginx"),
    ("nginx/snippets", "*.conf", "nginx/snippets"),
    ("nginx/templates", "*.template", "nginx/templates"),
    ("monitoring/prometheus/rules", "*.yml", "prometheus/rules"),
)


def expected_copies() -> dict[Path, Path]:
    """Map each destination file to its source."""
    copies: dict[Path, Path] = {}
    for source_dir, pattern, dest_dir in SOURCES:
        for source in sorted((ROOT / source_dir).glob(pattern)):
            if source.is_file():
                copies[DEST / dest_dir / source.name] = source
    return copies


def problems(copies: dict[Path, Path]) -> list[str]:
    found = []
    for dest, source in copies.items():
        if not dest.is_file():
            found.append(
                f"missing copy: {dest.relative_to(ROOT)} (source {source.relative_to(ROOT)})"
            )
        elif not filecmp.cmp(source, dest, shallow=False):
            found.append(
                f"stale copy: {dest.relative_to(ROOT)} differs from {source.relative_to(ROOT)}"
            )
    present = {path for path in DEST.rglob("*") if path.is_file()} if DEST.exists() else set()
    for extra in sorted(present - set(copies)):
        found.append(f"extra file: {extra.relative_to(ROOT)} has no source any more")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="report differences, copy nothing")
    args = parser.parse_args()

    copies = expected_copies()
    if not copies:
        print(
            "no source files found under nginx/ and monitoring/prometheus/rules/", file=sys.stderr
        )
        return 1
    if args.check:
        found = problems(copies)
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print("run `make k8s-sync` and commit k8s/base/config/", file=sys.stderr)
            return 1
        print(f"k8s/base/config: {len(copies)} copies match their sources")
        return 0

    if DEST.exists():
        shutil.rmtree(DEST)
    for dest, source in copies.items():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    print(f"k8s/base/config: copied {len(copies)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
