"""Choose the ``nbsvm`` preset's settings on a validation split: one JSON line per setting.

The 25,000 training reviews are split (``--seed`` decides how) into ``1 - --validation``
to fit and ``--validation`` to score; the test set is not read. For each n-gram length and
``min_df`` the features are built once, then each loss and C is fitted once and every beta is
applied to the same weights. Each line gives validation accuracy and, for the logistic loss at
beta 1, the ECE of its own probabilities. The last line is the best setting (accuracy, then
fewer n-grams and larger min_df, which are cheaper, on ties within 0.001).

    flock /tmp/cpu.lock .venv/bin/python bench/nbsvm_tune.py --data ../shared/data/aclImdb.tar.gz
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from scipy.special import expit

from imdb_sentiment import load_imdb, tokenize
from imdb_sentiment.calibration import expected_calibration_error
from imdb_sentiment.models.linear import fit_linear, interpolate, nb_ratio
from imdb_sentiment.models.ngrams import NgramVocabulary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--validation", type=float, default=0.2)
    parser.add_argument("--ngrams", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--min-df", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--losses", nargs="+", default=["logistic", "svm"])
    parser.add_argument("--c", type=float, nargs="+", default=[0.01, 0.03, 0.1, 0.3, 1.0])
    parser.add_argument("--beta", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0])
    args = parser.parse_args()

    train = load_imdb(args.data).train
    order = np.random.default_rng(args.seed).permutation(len(train))
    n_val = round(len(train) * args.validation)
    val, fit = train.take(order[:n_val]), train.take(order[n_val:])
    fit_tokens = [tokenize(t) for t in fit.texts]
    val_tokens = [tokenize(t) for t in val.texts]
    rows = []
    for n in args.ngrams:
        for min_df in args.min_df:
            start = time.perf_counter()
            vocabulary, features = NgramVocabulary.fit(fit_tokens, n, min_df)
            val_features = vocabulary.transform(val_tokens)
            r = nb_ratio(features, fit.labels)
            featurize_s = time.perf_counter() - start
            for loss in args.losses:
                for c in args.c:
                    start = time.perf_counter()
                    weights, bias = fit_linear(features, fit.labels, r, c=c, loss=loss,
                                               seed=args.seed)
                    fit_s = time.perf_counter() - start
                    for beta in args.beta:
                        decision = val_features @ (interpolate(weights, beta) * r) + bias
                        row = {"ngrams": n, "min_df": min_df, "loss": loss, "c": c,
                               "beta": beta, "columns": len(vocabulary),
                               "val_accuracy": float(((decision >= 0) == val.labels).mean()),
                               "featurize_s": round(featurize_s, 2), "fit_s": round(fit_s, 2)}
                        if loss == "logistic" and beta == 1.0:
                            row["val_ece"] = expected_calibration_error(val.labels,
                                                                        expit(decision))
                        rows.append(row)
                        print(json.dumps(row), flush=True)
    best = max(rows, key=lambda r: (round(r["val_accuracy"], 3), -r["ngrams"], r["min_df"],
                                    r["val_accuracy"]))
    print(json.dumps({"best": best, "seed": args.seed, "validation_reviews": n_val}))


if __name__ == "__main__":
    main()
