"""The real-data figures of the training issue, as one JSON document.

Reading the archive, tokenizing and encoding the 50,000 labeled reviews, and for each cell the
training time of every epoch (the test evaluation excluded) with that epoch's test accuracy.

    .venv/bin/python -m bench.train_curves --data ../shared/data/aclImdb.tar.gz \
        --cells simple_rnn lstm --epochs 3 [--embedding-update lazy]
"""

from __future__ import annotations

import argparse
import sys
import time

import keras

from bench.output import emit
from imdb_sentiment import Config, Vocabulary, load_imdb, tokenize, train
from imdb_sentiment.data import resolve_data_path


class EpochTimer(keras.callbacks.Callback):
    """Seconds of training per epoch: from the epoch's start to the start of its evaluation."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_test_begin(self, logs=None):
        if len(self.seconds) < len(self.model.history.epoch) + 1:
            self.seconds.append(time.perf_counter() - self._start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="archive or folder [$IMDB_SENTIMENT_DATA]")
    parser.add_argument("--cells", nargs="+", default=["simple_rnn", "lstm"])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--embedding-update", choices=("dense", "lazy"), default="dense")
    args = parser.parse_args(argv)

    source = resolve_data_path(args.data, download=False)
    t = time.perf_counter()
    imdb = load_imdb(source)
    read_s = time.perf_counter() - t

    t = time.perf_counter()
    tokens = [tokenize(text) for text in imdb.train.texts]
    vocabulary = Vocabulary.from_tokens(tokens, Config().max_features)
    vocabulary.encode_token_lists(tokens, Config().maxlen)
    vocabulary.encode_batch(imdb.test.texts, Config().maxlen)
    encode_s = time.perf_counter() - t

    report = {"data": str(source), "reviews": len(imdb.train) + len(imdb.test),
              "read_archive_s": round(read_s, 2), "tokenize_encode_50k_s": round(encode_s, 2),
              "keras": keras.__version__, "backend": keras.backend.backend(),
              "embedding_update": args.embedding_update, "cells": {}}
    for cell in args.cells:
        timer = EpochTimer()
        config = Config(cell=cell, epochs=args.epochs, embedding_update=args.embedding_update)
        classifier = train(imdb, config, verbose=0, callbacks=[timer])
        h = classifier.history
        report["cells"][cell] = {
            "epoch_train_s": [round(s, 2) for s in timer.seconds],
            "test_accuracy": [round(a, 4) for a in h["test_accuracy"]],
            "test_loss": [round(v, 4) for v in h["test_loss"]],
            "train_accuracy": [round(a, 4) for a in h["accuracy"]],
        }
        print(f"{cell}: {report['cells'][cell]}", file=sys.stderr)
    emit(report, "train_curves", argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
