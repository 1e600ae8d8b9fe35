"""The one percentile definition of every report the tools print.

Linear interpolation between the closest ranks: the sorted values x[0..n-1], the percentile q
(a fraction, 0.95 for p95) sits at position h = q * (n - 1), and the answer is
x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). numpy's default (method
"linear"), R's type 7, statistics.quantiles(method="inclusive"), Excel's PERCENTILE.INC. It never
leaves the range of the values measured (p100 is the maximum, p0 the minimum) and needs no
minimum sample count.

Histograms (Prometheus buckets, wrk's and Locust's own figures) are estimated by those tools
their own way; their reports say which.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

PERCENTILE_DEFINITION = "linear interpolation between closest ranks (numpy's default)"


def percentile(values: Iterable[float], q: float, empty: float = math.nan) -> float:
    """The q-th percentile (q a fraction from 0 to 1) of `values`; `empty` when there are none."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"a percentile is a fraction from 0 to 1, not {q}")
    ordered = sorted(values)
    if not ordered:
        return empty
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])
