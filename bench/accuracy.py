"""Test accuracy per epoch of training variants over several seeds.

- ``fast``: the product's default (``recurrent.py``'s layers, dense Adam);
- ``keras``: Keras's own recurrent layers. Same function, sums in another order, so float32
  rounding sends training down another path from the first step;
- ``lazy``: ``--embedding-update lazy``, Adam on the batch's embedding rows only: other numbers.

This measures whether a variant changes the result beyond the spread between seeds. One JSON
document on stdout:

    .venv/bin/python -m bench.accuracy --data ../shared/data/aclImdb.tar.gz \
        --seeds 1337 1 2 --epochs 3 --cell simple_rnn --variants fast lazy
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from functools import partial
from unittest import mock

import numpy as np

import imdb_sentiment.training as training
from bench.output import emit
from imdb_sentiment import Config, load_imdb, train
from imdb_sentiment.data import resolve_data_path
from imdb_sentiment.model import build_model

VARIANTS = ("fast", "keras", "lazy")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", help="aclImdb archive or folder (default: $IMDB_SENTIMENT_DATA)")
    p.add_argument("--cell", default="simple_rnn", choices=("simple_rnn", "lstm", "gru"))
    p.add_argument("--seeds", type=int, nargs="+", default=[1337, 1, 2])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--variants", nargs="+", choices=VARIANTS, default=["fast", "keras"])
    p.add_argument("--limit", type=int, help="use only this many reviews per split (smoke tests)")
    options = p.parse_args(argv)
    data = load_imdb(resolve_data_path(options.data, download=False))
    if options.limit:  # a random sample: the splits are sorted by label
        pick = np.random.default_rng(0).permutation(len(data.train))[:options.limit]
        data = replace(data, train=data.train.take(pick), test=data.test.take(pick))
    runs, layers = {}, {}
    for variant, seed in ((v, s) for v in options.variants for s in options.seeds):
        config = Config(cell=options.cell, epochs=options.epochs, seed=seed,
                        embedding_update="lazy" if variant == "lazy" else "dense")
        # `train` builds the product's model; the `keras` variant swaps in the stock layers
        with mock.patch.object(training, "build_model",
                               partial(build_model, fast=variant != "keras")):
            classifier = train(data, config, verbose=0)
        history = classifier.history
        layer = type(classifier.model.get_layer(options.cell))
        layers[variant] = f"{layer.__module__}.{layer.__name__}"
        runs.setdefault(variant, {})[seed] = history["test_accuracy"]
        print(variant, seed, history["test_accuracy"], file=sys.stderr, flush=True)
    summary = {
        variant: {f"epoch_{e + 1}": {"mean": statistics.mean(r[e] for r in by_seed.values()),
                                    "min": min(r[e] for r in by_seed.values()),
                                    "max": max(r[e] for r in by_seed.values())}
                 for e in range(options.epochs)}
        for variant, by_seed in runs.items()
    }
    doc = {"cell": options.cell, "epochs": options.epochs, "seeds": options.seeds,
           "reviews_per_split": len(data.train), "recurrent_layer": layers,
           "test_accuracy": runs, "summary": summary}
    return emit(doc, "accuracy", argv)


if __name__ == "__main__":
    main()
