"""What changed against the committed report: CI fails when a concern that passed now fails."""

from __future__ import annotations

from typing import Any

from .checks import FAIL, PASS, STALE

# Stale evidence held too (a stale concern has no failure and nothing missing): a committed
# load-test record that moves from a met target to a missed one is a regression even though the
# code had moved on since the run before it.
HELD = (PASS, STALE)


def changes(baseline: dict[str, Any], current: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(concern id, status before, status now) for every concern whose status moved."""
    before = {c["id"]: c["status"] for c in baseline.get("concerns", [])}
    return [
        (c["id"], before[c["id"]], c["status"])
        for c in current["concerns"]
        if c["id"] in before and before[c["id"]] != c["status"]
    ]


def regressions(baseline: dict[str, Any], current: dict[str, Any]) -> list[str]:
    return [cid for cid, was, now in changes(baseline, current) if was in HELD and now == FAIL]
