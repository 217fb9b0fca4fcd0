"""One timing protocol for every Python peer (dlib_bench.cc implements the same one).

Warm up, then find a loop count N whose loop takes >= MIN_LOOP_SECONDS, then time
REPEATS such loops; the result is the median loop time divided by N, i.e. the
time of one call of `fn` (one inference or one training step).
"""

import statistics
import time

MIN_LOOP_SECONDS = 0.2
REPEATS = 7
WARMUP_SECONDS = 0.1


def _loop(fn, n):
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - start


def time_per_call(fn):
    """Returns (median seconds per call, human-readable summary for the note)."""
    for _ in range(3):
        fn()
    _loop_until(fn, WARMUP_SECONDS)
    n = 1
    while True:
        elapsed = _loop(fn, n)
        if elapsed >= MIN_LOOP_SECONDS:
            break
        # Aim 20% above the target so the next try almost always suffices.
        n = max(n * 2, int(n * 1.2 * MIN_LOOP_SECONDS / max(elapsed, 1e-9)))
    per_call = [_loop(fn, n) / n for _ in range(REPEATS)]
    median = statistics.median(per_call)
    summary = (f"median of {REPEATS} loops x {n} calls (min {min(per_call):.3g} s, "
               f"max {max(per_call):.3g} s)")
    return median, summary


def _loop_until(fn, seconds):
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
