"""The ``machine`` part: what this computer can do at best, measured with the same XLA as training.

- float32 matrix-multiply rates: a large square product and the batch-32 by 128 by 128 product
  that a recurrent step does;
- memory bandwidth, from a jitted, buffer-donating dense Adam update of a
  ``max_features x embedding_dim`` table (read parameter, gradient, two moments; write parameter
  and two moments: 7 arrays) -- the work the optimizer does on the embedding every step.
"""

from __future__ import annotations

import os
import platform
import time

import jax
import jax.numpy as jnp
import keras
import numpy as np

ADAM_ARRAYS = 7  # read p, g, m, v; write p, m, v
FLOAT32 = 4


def per_call_s(call, *args, repeats: int) -> float:
    """Median seconds of ``call(*args)`` over 5 rounds of ``repeats`` calls, after a warm-up."""
    jax.block_until_ready(call(*args))
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            out = call(*args)
        jax.block_until_ready(out)
        rounds.append((time.perf_counter() - start) / repeats)
    return float(np.median(rounds))


def matmul_gflops(m: int, n: int, repeats: int) -> float:
    """GFLOP/s of ``[m, n] @ [n, n]`` products chained in one jitted loop, as a scan chains its
    steps: Python's dispatch (about as long as one 32x128x128 product) is not counted."""
    a, b = jnp.ones((m, n), jnp.float32), jnp.full((n, n), 1.0 / n, jnp.float32)
    chain = jax.jit(lambda a, b: jax.lax.fori_loop(0, repeats, lambda _, x: x @ b, a))
    return 2 * m * n * n * repeats / per_call_s(chain, a, b, repeats=1) / 1e9


def dense_adam_step_s(rows: int, cols: int, repeats: int) -> float:
    """Seconds of one fused dense Adam update of a ``rows x cols`` float32 table."""

    def adam(p, m, v, g, b1=0.9, b2=0.999, lr=1e-3, eps=1e-7):
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        return p - lr * m / (jnp.sqrt(v) + eps), m, v

    update = jax.jit(adam, donate_argnums=(0, 1, 2))
    p, m, v = (jnp.zeros((rows, cols), jnp.float32) for _ in range(3))
    g = jnp.full((rows, cols), 1e-3, jnp.float32)
    state = [p, m, v]

    def step():
        state[:] = update(*state, g)
        return state[0]

    return per_call_s(step, repeats=repeats)


def run(options, workdir) -> dict:
    large = options.matmul_size
    rows, cols = options.max_features, options.embedding_dim
    adam_s = dense_adam_step_s(rows, cols, repeats=options.repeats)
    return {
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        f"matmul_{large}x{large}x{large}_gflops": matmul_gflops(large, large, 3),
        "matmul_32x128x128_gflops": matmul_gflops(32, 128, options.repeats * 100),
        "dense_adam_update_ms": adam_s * 1e3,
        "memory_gb_per_s": ADAM_ARRAYS * rows * cols * FLOAT32 / adam_s / 1e9,
    }
