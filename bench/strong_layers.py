"""Which bidirectional GRU the ``birnn`` kind runs: a training step's time, two ways.

1. ``keras``: ``Embedding(mask_zero=True)`` -> ``Bidirectional(GRU)`` with the padding masked
   (Keras's own loop; what ``models/birnn_net.py`` builds);
2. ``fast``: this package's fast GRU (``recurrent.py``, which takes no mask) forward, and again
   on each row reversed within its own length (a gather), so neither direction reads padding
   before words.

Both with the same head (word dropout, ``MaskedPooling``, dropout, Dense), batch 64 of reviews
of 128-256 tokens padded to 256, GRU 64 units, embedding 30,000 x 100, Adam; each timed over
``--steps`` steps after a compiling step, the two interleaved ``--rounds`` times.

    flock /tmp/cpu.lock .venv/bin/python -m bench.strong_layers
"""

from __future__ import annotations

import argparse
import json
import time

import keras
import numpy as np
from keras import layers, ops

from imdb_sentiment import recurrent
from imdb_sentiment.models.birnn_net import MaskedPooling

V, B, T, DIM, UNITS = 30000, 64, 256, 100, 64


class Reverse(layers.Layer):
    """Each row's first ``len`` steps in reverse order, its padding where it was."""

    def call(self, x, token_ids):
        lengths = ops.sum(ops.cast(ops.not_equal(token_ids, 0), "int32"), axis=1)[:, None]
        steps = ops.arange(ops.shape(token_ids)[1], dtype="int32")[None, :]
        index = ops.where(steps < lengths, lengths - 1 - steps, steps)
        index = ops.broadcast_to(ops.expand_dims(index, -1), ops.shape(x))
        return ops.take_along_axis(x, index, axis=1)

    def compute_output_shape(self, x_shape, token_ids_shape):
        return x_shape


def head(states, ids):
    pooled = layers.Dropout(0.3)(MaskedPooling()(states, ids))
    return layers.Dense(1, activation="sigmoid")(pooled)


def keras_masked() -> keras.Model:
    ids = keras.Input((None,), dtype="int32")
    vectors = layers.SpatialDropout1D(0.3)(layers.Embedding(V, DIM, mask_zero=True)(ids))
    states = layers.Bidirectional(layers.GRU(UNITS, return_sequences=True))(vectors)
    return keras.Model(ids, head(states, ids))


def fast_reversed() -> keras.Model:
    ids = keras.Input((None,), dtype="int32")
    vectors = layers.SpatialDropout1D(0.3)(layers.Embedding(V, DIM)(ids))
    forward = recurrent.GRU(UNITS, return_sequences=True)(vectors)
    backward = recurrent.GRU(UNITS, return_sequences=True)(Reverse()(vectors, ids))
    states = layers.Concatenate()([forward, backward])  # pooling ignores the order of steps
    return keras.Model(ids, head(states, ids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    lengths = rng.integers(T // 2, T + 1, B)
    x = rng.integers(3, V, (B, T)).astype("int32")
    x[np.arange(T)[None] >= lengths[:, None]] = 0
    y = rng.integers(0, 2, (B, 1)).astype("float32")
    models = {"keras": keras_masked(), "fast": fast_reversed()}
    for model in models.values():
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        model.train_on_batch(x, y)  # compiles
    times = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, model in models.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                model.train_on_batch(x, y)
            times[name].append((time.perf_counter() - start) / args.steps * 1000)
    print(json.dumps({"ms_per_step": times, "batch": B, "steps": T, "units": UNITS,
                      "ratio_fast_over_keras": min(times["fast"]) / min(times["keras"])}))


if __name__ == "__main__":
    main()
