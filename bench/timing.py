"""The one timing helper of the benchmarks: wall time, median and range over repeats, memory.

Every figure in BENCHMARKS.md is a median with its range (min-max) over repeats, or a ratio of two
medians measured in the same run; these functions give both from the same code. Nothing here
imports JAX at module level, so scripts that never touch a model stay light.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np


def seconds(call: Callable, *args, **kwargs) -> tuple[object, float]:
    """``(call(*args, **kwargs), wall seconds)``."""
    start = time.perf_counter()
    result = call(*args, **kwargs)
    return result, time.perf_counter() - start


def spread(values: Sequence[float], digits: int | None = None) -> dict:
    """``{"median", "min", "max", "runs"}`` of ``values``: the shape every repeated figure takes."""
    values = [float(v) for v in values]
    figures = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    if digits is not None:
        figures = {k: round(v, digits) for k, v in figures.items()}
    return {**figures, "runs": len(values)}


def repeat(call: Callable, repeats: int, *args, **kwargs) -> tuple[object, dict]:
    """Call ``call(*args, **kwargs)`` ``repeats`` times: the last result and the seconds' spread."""
    times, result = [], None
    for _ in range(repeats):
        result, elapsed = seconds(call, *args, **kwargs)
        times.append(elapsed)
    return result, spread(times)


def per_call_s(call: Callable, *args, repeats: int, rounds: int = 5) -> float:
    """Median seconds of ``call(*args)`` over ``rounds`` rounds of ``repeats`` calls each, after
    one warm-up call (its compilation), waiting for JAX's asynchronous results at each round's end.
    """
    import jax

    jax.block_until_ready(call(*args))
    per_round = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            out = call(*args)
        jax.block_until_ready(out)
        per_round.append((time.perf_counter() - start) / repeats)
    return float(np.median(per_round))


def latency_ms(call: Callable, n: int, warmup: int = 10) -> dict:
    """Median and 99th percentile of ``n`` calls of ``call()``, in milliseconds, after ``warmup``
    calls: the latency of one request, where the tail matters as much as the middle."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1e3)
    return {"calls": n, "median_ms": round(statistics.median(times), 2),
            "p99_ms": round(float(np.percentile(times, 99)), 2)}


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
