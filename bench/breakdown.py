"""Where a SimpleRNN training step's time goes: the diagnostic figures of BENCHMARKS.md.

    flock /tmp/cpu.lock .venv/bin/python -m bench.breakdown        # synthetic ids, ~1 min

Prints one JSON document of milliseconds per step of 32 reviews (maxlen 80):

- ``fit``: ``model.fit`` of the classic model; ``fit_frozen_embedding``: the same with the
  embedding frozen (no embedding gradient, no gradient w.r.t. the recurrent layer's input, no
  Adam on the table); ``fit_keras_layers``: ``fit`` with Keras's own SimpleRNN instead of
  ``recurrent.py``'s (malloc is set as ``train`` sets it for all three);
- ``bare_scan`` / ``bare_scan_hoisted``: a hand-written ``lax.scan`` SimpleRNN, forward and
  backward, without dropout, embedding or optimizer; the second computes the input projection of
  all time steps as one product outside the scan;
- ``fit_lazy_embedding``: ``fit`` with ``--embedding-update lazy`` (``lazy_embedding.py``);
- ``embedding_grad_dense_adam``: the embedding's gradient (a scatter-add into the whole table)
  followed by Keras's dense Adam; ``embedding_lazy_adam``: ``lazy_adam_rows``, the lazy update
  of the batch's rows from the looked-up vectors' gradient.
"""

from __future__ import annotations

import time
from functools import partial

import jax
import jax.numpy as jnp
import keras
import numpy as np

from bench import common
from bench.output import emit
from bench.timing import per_call_s
from imdb_sentiment import Config, build_model
from imdb_sentiment.lazy_embedding import lazy_adam_rows
from imdb_sentiment.model import compile_model
from imdb_sentiment.runtime import keep_freed_memory

BATCH, MAXLEN, DIM, VOCAB, STEPS = 32, 80, 128, 20000, 100


def per_call_ms(call, *args, repeats: int = STEPS) -> float:
    """Milliseconds a call of ``call(*args)``: one round of ``repeats`` calls after a warm-up."""
    return per_call_s(call, *args, repeats=repeats, rounds=1) * 1e3


def fit_ms(frozen_embedding: bool, x, y, fast: bool = True,
           embedding_update: str = "dense") -> float:
    config = Config(embedding_update=embedding_update if fast else "dense")
    model = compile_model(build_model(config, fast=fast), config)
    if frozen_embedding:
        model.get_layer("embedding").trainable = False
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:BATCH * 4], y[:BATCH * 4], batch_size=BATCH, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, verbose=0)
    return (time.perf_counter() - start) / (len(x) // BATCH) * 1e3


def bare_scan_ms(hoisted: bool) -> float:
    key = jax.random.PRNGKey(0)
    kernel, recurrent = (jax.random.normal(key, (DIM, DIM)) * 0.05 for _ in range(2))
    vectors = jax.random.normal(key, (BATCH, MAXLEN, DIM))

    def loss(kernel, recurrent, vectors):
        xs = jnp.swapaxes(vectors @ kernel if hoisted else vectors, 0, 1)

        def step(h, x):
            return jnp.tanh((x if hoisted else x @ kernel) + h @ recurrent), None

        h, _ = jax.lax.scan(step, jnp.zeros((BATCH, DIM)), xs)
        return jnp.sum(h)

    return per_call_ms(jax.jit(jax.grad(loss, argnums=(0, 1, 2))), kernel, recurrent, vectors)


def dense_embedding_update_ms() -> float:
    """The embedding's gradient (a scatter-add into a zero table) and Keras's dense Adam on it."""
    table = keras.Variable(np.zeros((VOCAB, DIM), np.float32), name="embeddings")
    optimizer = keras.optimizers.Adam()
    optimizer.build([table])
    ids = np.random.default_rng(0).integers(0, VOCAB, (BATCH, MAXLEN))

    def step(optimizer_values, table_values, ids):
        def loss(t):
            return jnp.sum(jnp.take(t, ids, axis=0) ** 2 + 1e-3 * jnp.take(t, ids, axis=0))

        grad = jax.grad(loss)(table_values[0])
        table_values, optimizer_values = optimizer.stateless_apply(
            optimizer_values, [grad], table_values)
        return optimizer_values, table_values

    update = jax.jit(step, donate_argnums=(0, 1))
    state = [[v.value for v in optimizer.variables], [table.value]]

    def call():
        state[:] = update(*state, ids)
        return state[1]

    return per_call_ms(call)


def lazy_embedding_update_ms() -> float:
    """``lazy_embedding.lazy_adam_rows`` given the looked-up vectors' gradient."""
    ids = jnp.asarray(np.random.default_rng(0).integers(0, VOCAB, (BATCH, MAXLEN)), jnp.int32)
    d_vectors = jnp.full((BATCH, MAXLEN, DIM), 1e-3, jnp.float32)
    update = jax.jit(partial(lazy_adam_rows, step=1.0, learning_rate=1e-3, beta_1=0.9,
                             beta_2=0.999, epsilon=1e-7), donate_argnums=(0, 1, 2))
    state = [jnp.zeros((VOCAB, DIM), jnp.float32) for _ in range(3)]

    def call():
        state[:] = update(*state, ids, d_vectors)
        return state[0]

    return per_call_ms(call)


def main() -> dict:
    workload = common.synthetic_workload(BATCH * STEPS, 0, VOCAB)
    x, y = workload.x_train[:, -MAXLEN:], workload.y_train
    keep_freed_memory()  # as train() does
    figures = {
        "fit": fit_ms(False, x, y),
        "fit_frozen_embedding": fit_ms(True, x, y),
        "fit_keras_layers": fit_ms(False, x, y, fast=False),
        "fit_lazy_embedding": fit_ms(False, x, y, embedding_update="lazy"),
        "bare_scan": bare_scan_ms(hoisted=False),
        "bare_scan_hoisted": bare_scan_ms(hoisted=True),
        "embedding_grad_dense_adam": dense_embedding_update_ms(),
        "embedding_lazy_adam": lazy_embedding_update_ms(),
    }
    doc = {"unit": "ms per step of 32 reviews, maxlen 80", **figures}
    return emit(doc, "breakdown")


if __name__ == "__main__":
    main()
