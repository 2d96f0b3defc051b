"""The ``machine`` part: what this computer can do at best, measured with the same XLA as training.

- float32 matrix-multiply rates: a large square product and the batch-32 by 128 by 128 product
  that a recurrent step does;
- memory bandwidth, from a jitted, buffer-donating dense Adam update of a
  ``max_features x embedding_dim`` table (read parameter, gradient, two moments; write parameter
  and two moments: 7 arrays) -- the work the optimizer does on the embedding every step;
- the matrix products of one classic training step of each cell alone, at the step's own shapes
  and in the step's order, as XLA runs them: what no implementation on this stack can go below.
"""

from __future__ import annotations

import os
import platform

import jax
import jax.numpy as jnp
import keras
import numpy as np

from bench.limits import GATES
from bench.timing import per_call_s
from imdb_sentiment import Config

ADAM_ARRAYS = 7  # read p, g, m, v; write p, m, v
FLOAT32 = 4


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


def step_products_ms(gates: int, batch: int, maxlen: int, embedding_dim: int, units: int,
                     repeats: int) -> float:
    """Milliseconds of the matrix products of one training step of a recurrent layer, alone.

    As ``imdb_sentiment.recurrent`` orders them, one product per gate block: the input projection
    of all steps, ``maxlen`` sequential recurrent products forward and as many backward, then the
    gradients of the input, the kernel and the recurrent kernel over all steps at once. Between
    the sequential products only a sum of the blocks (so that each step waits for the last).
    """
    rows = batch * maxlen
    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    x = jax.random.normal(keys[0], (rows, embedding_dim)) * 0.1
    kernel = tuple(jax.random.normal(keys[1], (gates, embedding_dim, units)) * 0.1)
    recurrent = tuple(jax.random.normal(keys[2], (gates, units, units)) * 0.01)
    hs = jax.random.normal(keys[3], (rows, units)) * 0.1  # stands for the h before each step

    def products(x, kernel, recurrent, hs):
        projected = [x @ k for k in kernel]
        h = hs[:batch]

        def forward(_, h):
            return sum(h @ u for u in recurrent)

        def backward(_, d):
            return sum(d @ u.T for u in recurrent)

        h = jax.lax.fori_loop(0, maxlen, forward, h)
        d = jax.lax.fori_loop(0, maxlen, backward, h)
        d_rows = [p + d[0, 0] for p in projected]  # stands for the gate blocks' cotangents
        d_x = sum(g @ k.T for g, k in zip(d_rows, kernel, strict=True))
        d_kernel = [x.T @ g for g in d_rows]
        d_recurrent = [hs.T @ g for g in d_rows]
        return d_x, d_kernel, d_recurrent

    call = jax.jit(products)
    return per_call_s(call, x, kernel, recurrent, hs, repeats=repeats) * 1e3


def run(options, workdir) -> dict:
    large = options.matmul_size
    rows, cols = options.max_features, options.embedding_dim
    adam_s = dense_adam_step_s(rows, cols, repeats=options.repeats)
    classic = Config()
    products = {cell: step_products_ms(gates, classic.batch_size, classic.maxlen,
                                       options.embedding_dim, options.units, options.repeats)
                for cell, gates in GATES.items()}
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
        "step_products_ms": products,
    }
