"""Single-core, single-thread setup shared by run_peers.py and its workers (stdlib only).

Must run before any engine is imported: thread pools read these variables once.
"""

import os

THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)
PREFERRED_CPU = 1


def limit_threads(environ=os.environ):
    for name in THREAD_VARIABLES:
        environ[name] = "1"


def pin_to_one_core():
    """Pins this process (and its future children) to CPU 1, or to the first allowed CPU."""
    allowed = os.sched_getaffinity(0)
    cpu = PREFERRED_CPU if PREFERRED_CPU in allowed else min(allowed)
    os.sched_setaffinity(0, {cpu})
    return cpu


def loaded_libraries(*fragments):
    """Paths of mapped shared objects whose path contains one of the fragments."""
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if any(f in path for f in fragments):
                found.add(path)
    return sorted(found)
