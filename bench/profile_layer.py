"""Where a recurrent layer's training step spends its time, operation by operation.

    flock /tmp/cpu.lock .venv/bin/python -m bench.profile_layer --cell lstm

Traces a few calls of the layer's forward and backward pass (training mode, classic shapes,
dropout 0.2 and 0.2) with ``jax.profiler`` and adds up, for each operation XLA ran, the time its
CPU runtime spent in it. Prints one JSON document: the wall time of an untraced call, the sum of the
operations' times (larger than the wall time when the two cores run operations side by side),
and the operations, longest first, each with how often it ran per call (80 times: inside a loop)
and the JAX operation it was compiled from. ``--keras`` profiles Keras's own layer instead.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import jax
import jax.numpy as jnp
from jax.profiler import ProfileData

from bench.output import emit
from imdb_sentiment.model import FAST_LAYERS, STOCK_LAYERS
from imdb_sentiment.runtime import keep_freed_memory

THREAD_POOL = "tf_XLAEigen"  # the threads that run XLA's CPU operations
NOT_AN_OPERATION = ("ThunkExecutor", "while", "Slinky", "ThreadpoolListener", "end: ")


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cell", choices=tuple(FAST_LAYERS), default="lstm")
    p.add_argument("--keras", action="store_true", help="Keras's own layer, not recurrent.py's")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--maxlen", type=int, default=80)
    p.add_argument("--units", type=int, default=128, help="also the input's width")
    p.add_argument("--calls", type=int, default=10, help="traced calls, averaged")
    p.add_argument("--top", type=int, default=30, help="operations listed")
    return p.parse_args(argv)


def gradient_call(options):
    """The jitted forward + backward pass of one layer, and its arguments."""
    layer = (STOCK_LAYERS if options.keras else FAST_LAYERS)[options.cell](
        options.units, dropout=0.2, recurrent_dropout=0.2)
    x = jax.random.normal(jax.random.PRNGKey(0), (options.batch, options.maxlen, options.units))
    layer.build(x.shape)
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def loss(trainable, x):
        y, _ = layer.stateless_call(trainable, non_trainable, x, training=True)
        return jnp.sum(y)

    return jax.jit(jax.grad(loss, argnums=(0, 1))), (trainable, x)


def sources(hlo_text: str) -> dict[str, str]:
    """Each compiled operation's name -> the JAX operation it came from (HLO metadata)."""
    found = {}
    for line in hlo_text.splitlines():
        match = re.match(r"\s*(?:ROOT )?%(\S+) = .*op_name=\"([^\"]+)\"", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def operation_times(trace_dir: str, calls: int) -> tuple[Counter, Counter]:
    """Seconds and counts per call of each operation, from the trace in ``trace_dir``."""
    seconds, counts = Counter(), Counter()
    profile = ProfileData.from_file(str(next(Path(trace_dir).rglob("*.xplane.pb"))))
    for plane in profile.planes:
        for line in plane.lines:
            if not line.name.startswith(THREAD_POOL):
                continue
            for event in line.events:
                if not event.name.startswith(NOT_AN_OPERATION):
                    seconds[event.name] += event.duration_ns / 1e9 / calls
                    counts[event.name] += 1 / calls
    return seconds, counts


def main(argv=None) -> dict:
    options = parse(argv)
    keep_freed_memory()  # as train() does
    call, args = gradient_call(options)
    origin = sources(call.lower(*args).compile().as_text())
    walls = []
    for _ in range(options.calls):  # untraced, after the first (compiling) call
        start = time.perf_counter()
        jax.block_until_ready(call(*args))
        walls.append(time.perf_counter() - start)
    with tempfile.TemporaryDirectory(prefix="imdb-profile-") as trace_dir:
        with jax.profiler.trace(trace_dir):
            for _ in range(options.calls):
                jax.block_until_ready(call(*args))
        seconds, counts = operation_times(trace_dir, options.calls)
    doc = {
        "layer": f"{'keras' if options.keras else 'imdb_sentiment.recurrent'}.{options.cell}",
        "shape": [options.batch, options.maxlen, options.units],
        "wall_ms_per_call": statistics.median(walls[1:] or walls) * 1e3,
        "operations_ms_per_call": sum(seconds.values()) * 1e3,
        "operations_per_call": round(sum(counts.values())),
        "longest": [{"operation": name, "ms": seconds[name] * 1e3, "runs": round(counts[name], 1),
                     "from": origin.get(name, "")}
                    for name, _ in seconds.most_common(options.top)],
    }
    return emit(doc, "profile_layer", argv)


if __name__ == "__main__":
    main()
