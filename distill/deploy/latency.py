"""Median wall time of one call, after warm-up: the one latency rule of export and benchmarks.

Median, not mean: on a shared CPU a neighbour's burst makes a few calls slow, and the median
ignores them while the mean does not.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_ms(call: Callable[[], object], repeats: int = 20, warmup: int = 3) -> float:
    """Milliseconds per call: the median of ``repeats`` timed calls after ``warmup``."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)
