"""Timing shared by the Python peer sides of the benchmarks."""
import time

import numpy as np


def median_time(repeats, fn):
    """Median wall-clock seconds of `repeats` calls of fn() after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))
