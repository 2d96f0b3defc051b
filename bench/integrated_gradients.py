"""Integrated gradients on a real bundle: completeness error and cost, uniform grid vs adaptive.

A review's attributions should add up to P(review) - P(every seen token hidden). For a sample of
test reviews this prints, per scheme, the distribution of the absolute completeness error (in
probability) and the milliseconds per review (one review at a time, after compilation):
``uniform-N`` is the midpoint rule with N points (``max_depth=0``); ``adaptive`` is the default
of ``gradients.py`` (64 points, segments refined until each meets the tolerance).

    .venv/bin/python -m bench.integrated_gradients runs/classic --reviews 300
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from bench.output import emit
from imdb_sentiment import Classifier, load_imdb
from imdb_sentiment.gradients import SEGMENTS, IntegratedGradients
from imdb_sentiment.text import PAD, pad, tokenize


def windows_and_baselines(classifier: Classifier, texts: list[str]):
    maxlen = classifier.config.maxlen
    tokens = [tokenize(t) for t in texts]
    windows = pad([classifier.vocabulary.encode_tokens(t) for t in tokens], maxlen)
    n_seen = np.array([min(len(t), maxlen) for t in tokens])
    seen = np.arange(maxlen)[None, :] >= maxlen - n_seen[:, None]
    return windows, np.where(seen, PAD, windows).astype(np.int32)


def measure(gradients: IntegratedGradients, windows, baselines, targets) -> dict:
    gradients(windows[:1], baselines[:1])  # compile
    start = time.perf_counter()
    sums = gradients(windows, baselines).sum(axis=1)
    ms = (time.perf_counter() - start) / len(windows) * 1e3
    error = np.abs(sums - targets)
    return {"median": float(np.median(error)), "p90": float(np.quantile(error, 0.9)),
            "p99": float(np.quantile(error, 0.99)), "max": float(error.max()),
            "share_over_0.02": float(np.mean(error > 0.02)),
            "share_over_0.005": float(np.mean(error > 0.005)), "ms_per_review": ms}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bundle")
    p.add_argument("--data", default=os.environ.get("IMDB_SENTIMENT_DATA"))
    p.add_argument("--reviews", type=int, default=300, help="test reviews sampled (seed 0)")
    p.add_argument("--uniform", type=int, nargs="*", default=[64, 256],
                   help="points of the uniform midpoint rules to compare")
    options = p.parse_args(argv)
    classifier = Classifier.load(options.bundle)
    test = load_imdb(options.data).test
    sample = np.random.default_rng(0).choice(len(test), options.reviews, replace=False)
    windows, baselines = windows_and_baselines(classifier, [test.texts[i] for i in sample])
    targets = classifier.predict_ids(windows) - classifier.predict_ids(baselines)
    schemes = {f"uniform-{n}": IntegratedGradients(classifier.model, max_depth=0,
                                                   points=n // SEGMENTS)
               for n in options.uniform}
    schemes["adaptive"] = IntegratedGradients(classifier.model)
    doc = {"bundle": options.bundle, "reviews": options.reviews,
           "unit": "absolute completeness error in probability; ms per review",
           "schemes": {name: measure(g, windows, baselines, targets)
                       for name, g in schemes.items()}}
    return emit(doc, "integrated_gradients", argv)


if __name__ == "__main__":
    main()
