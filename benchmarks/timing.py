"""Timing shared by the benchmarks."""

import statistics
import time


def timed_calls(fn, repeats: int, warmup: int = 2) -> list[float]:
    """Calls ``fn`` ``warmup`` times untimed, then returns the seconds of ``repeats`` timed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def median_seconds(fn, repeats: int, warmup: int = 2) -> float:
    """Calls ``fn`` ``warmup`` times untimed, then returns the median of ``repeats`` timed calls."""
    return statistics.median(timed_calls(fn, repeats, warmup))
