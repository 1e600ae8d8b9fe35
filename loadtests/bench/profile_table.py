#!/usr/bin/env python
"""A top-N table (Markdown) of py-spy's collapsed stacks (`py-spy record --format raw`): per
function the share of samples it was on the stack (inclusive) and on top of it (self), with the
idle Gunicorn loop left out so the shares are of request work.

    python loadtests/bench/profile_table.py PROFILE.txt [--top 40] [--by-function]

`--by-function` merges a function's lines (py-spy names each frame by function and line) and
sorts by self time: where a flat profile's CPU actually goes.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys

# Frames of a worker waiting for work, not doing it.
_IDLE = ("EpollSelector.select", "wait_for_and_dispatch_events (", "Worker.sleep")
_LINE = re.compile(r":\d+\)$")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--by-function", action="store_true", help="lines merged, by self time")
    args = parser.parse_args()
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    with open(args.profile) as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")
            if not count.isdigit() or any(i in frames[-1] for i in _IDLE):
                continue
            total += int(count)
            if args.by_function:
                frames = [_LINE.sub(")", frame) for frame in frames]
            for frame in set(frames):
                inclusive[frame] += int(count)
            own[frames[-1]] += int(count)
    print(f"{total} samples of request work\n")
    print("| inclusive % | self % | function |\n|---:|---:|---|")
    ranked = own if args.by_function else inclusive
    for frame, _ in ranked.most_common(args.top):
        print(
            f"| {100 * inclusive[frame] / total:.1f} | {100 * own[frame] / total:.1f} | `{frame}` |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
