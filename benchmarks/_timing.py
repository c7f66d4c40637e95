"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time


def timed(fn, repeat: int = 1, times: list | None = None):
    """``(fn(), median seconds over repeat calls)``; each call's time is appended to ``times`` when given."""
    times = [] if times is None else times
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times[-repeat:])
