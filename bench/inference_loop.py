"""Inference (no dropout, no gradient) of one recurrent layer: Keras's loop vs ``recurrent.py``'s.

The figures behind ``fast_inference_max_batch`` in ``recurrent.py``: milliseconds per call of the
layer alone on random vectors of maxlen 80, median of 5 rounds, per cell and batch size.

    .venv/bin/python -m bench.inference_loop --batches 1 32 128 256 1024
"""

from __future__ import annotations

import argparse

import jax
import keras

from bench.output import emit
from bench.timing import per_call_s
from imdb_sentiment.model import FAST_LAYERS as LAYERS


def layer_ms(cls, batch: int, fast: bool, units: int = 128, maxlen: int = 80) -> float:
    x = jax.random.normal(jax.random.PRNGKey(0), (batch, maxlen, units))
    layer = cls(units, dropout=0.2, recurrent_dropout=0.2)
    layer.fast_inference_max_batch = None if fast else 0  # this instance only
    layer.build(x.shape)
    trainable = [v.value for v in layer.trainable_variables]
    others = [v.value for v in layer.non_trainable_variables]
    call = jax.jit(lambda w, x: layer.stateless_call(w, others, x, training=False)[0])
    return per_call_s(call, trainable, x, repeats=max(2, 2048 // batch)) * 1e3


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cells", nargs="+", choices=LAYERS, default=list(LAYERS))
    p.add_argument("--batches", type=int, nargs="+", default=[1, 32, 128, 256, 1024])
    options = p.parse_args(argv)
    doc = {"unit": "ms per call, maxlen 80, 128 units", "keras": keras.__version__, "cells": {}}
    for cell in options.cells:
        doc["cells"][cell] = {
            str(batch): {"keras_loop": layer_ms(LAYERS[cell], batch, fast=False),
                         "fast_loop": layer_ms(LAYERS[cell], batch, fast=True)}
            for batch in options.batches}
    return emit(doc, "inference_loop", argv)


if __name__ == "__main__":
    main()
