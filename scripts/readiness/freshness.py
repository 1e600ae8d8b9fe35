"""Is a run's evidence about the code as it is now? Compares the git tree the run measured with
the working tree, limited to the paths a concern covers."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import record


@dataclass(frozen=True)
class Code:
    """The code the report is written for: the working tree of the repository at `root`."""

    root: Path
    commit: str | None
    tree: str | None
    uncommitted_changes: bool

    @classmethod
    def now(cls, root: Path = record.ROOT) -> Code:
        identity = record.code_identity(root)
        return cls(root, identity["commit"], identity["tree"], identity["uncommitted_changes"])

    def changed_since(
        self, meta: dict, paths: tuple[str, ...], ignores: tuple[str, ...] = ()
    ) -> list[str] | None:
        """The files of `paths`, less those under `ignores`, that differ between the run's code
        and now; None when the run's code cannot be found (no commit recorded, or one this
        repository does not hold)."""
        if self.tree is None:
            return None
        for then in (meta.get("tree"), meta.get("commit")):
            if then and _exists(str(self.root), then):
                return _diff(str(self.root), then, self.tree, paths, ignores)
        return None


@cache
def _exists(root: str, revision: str) -> bool:
    return _git(root, "cat-file", "-e", f"{revision}^{{tree}}") is not None


@cache
def _diff(
    root: str, then: str, now: str, paths: tuple[str, ...], ignores: tuple[str, ...]
) -> list[str]:
    # Prose (notes, READMEs) beside the code does not change what the code does.
    excluded = [f":(exclude){path}" for path in ignores]
    out = _git(root, "diff", "--name-only", then, now, "--", *paths, ":(exclude)*.md", *excluded)
    return out.splitlines() if out else []


def _git(root: str, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", root, *args], capture_output=True, text=True, check=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()
