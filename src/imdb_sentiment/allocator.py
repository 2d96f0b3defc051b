"""Keep freed memory in the process, so that training steps stop page-faulting.

XLA's CPU runtime allocates a training step's temporary buffers anew at every step and frees
them after it. glibc's malloc serves blocks over 32 MiB with a fresh ``mmap`` and returns them to
the system on ``free``; the next step then touches every page of new memory again. The classic
LSTM's step needs a 53 MB buffer: 13,000 page faults and 35 ms of system time per 65 ms step
(BENCHMARKS.md). Telling malloc to serve every block from its heap, keep what is freed and use
one arena makes the step reuse the same memory. The cost: the process keeps its peak memory until
it exits, which suits a training run.
"""

from __future__ import annotations

import ctypes
import sys

# mallopt parameters, from glibc's malloc.h
M_TRIM_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -4, -8
NEVER_TRIM = 2**31 - 1


def keep_freed_memory() -> bool:
    """Set glibc's malloc to reuse freed memory; returns False where that is not possible.

    Idempotent, and a no-op away from Linux with glibc (``mallopt`` missing or refusing).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process already uses
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    settings = ((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, NEVER_TRIM), (M_ARENA_MAX, 1))
    return all(mallopt(param, value) == 1 for param, value in settings)
