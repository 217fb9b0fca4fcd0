"""One timing protocol for every Python peer (dlib_bench.cc implements the same one).

Warm up, then find a loop count N whose loop takes >= MIN_LOOP_SECONDS, then time
REPEATS such loops; the result is the median loop time divided by N, i.e. the
time of one call of `fn` (one inference or one training step), in wall-clock time
and in this process's CPU time. The engines run one thread, so on a quiet core both
agree; when another process shares the core, the CPU time is what the engine would
take alone (tools/benchmarks.py compares it with staticnn's CPU time).
"""

import statistics
import time
from typing import NamedTuple

MIN_LOOP_SECONDS = 0.2
REPEATS = 7
WARMUP_SECONDS = 0.1


class Timing(NamedTuple):
    seconds: float      # median wall-clock time per call
    cpu_seconds: float  # median process CPU time per call
    summary: str        # human-readable, for the note


def _loop(fn, n):
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return time.perf_counter() - start, time.process_time() - cpu


def time_per_call(fn):
    for _ in range(3):
        fn()
    _loop_until(fn, WARMUP_SECONDS)
    n = 1
    while True:
        elapsed, _ = _loop(fn, n)
        if elapsed >= MIN_LOOP_SECONDS:
            break
        # Aim 20% above the target so the next try almost always suffices.
        n = max(n * 2, int(n * 1.2 * MIN_LOOP_SECONDS / max(elapsed, 1e-9)))
    loops = [_loop(fn, n) for _ in range(REPEATS)]
    per_call = [wall / n for wall, _ in loops]
    median = statistics.median(per_call)
    summary = (f"median of {REPEATS} loops x {n} calls (min {min(per_call):.3g} s, "
               f"max {max(per_call):.3g} s)")
    return Timing(median, statistics.median(cpu / n for _, cpu in loops), summary)


def _loop_until(fn, seconds):
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
