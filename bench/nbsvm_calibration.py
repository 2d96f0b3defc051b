"""Does Platt scaling fitted on the validation split carry over to the refitted model?

``train`` fits nbsvm on 80% of the training reviews, fits Platt scaling on the other 20% and then
refits the model on all of them, keeping that scaling. This checks the protocol on the training
reviews alone (the test set is not read): per seed the 25,000 are split into a holdout H (a
fifth, standing in for the test set), a validation split V (a fifth) and the rest A (15,000).
Fit on A, Platt on V, refit on A+V; then on H: the refitted model raw, the refitted model with
the transferred scaling (what ``train`` ships), and the A-model with its own scaling (no refit).

    flock /tmp/cpu.lock .venv/bin/python -m bench.nbsvm_calibration \\
        --data ../shared/data/aclImdb.tar.gz --seeds 1337 1 2
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from scipy.special import expit

from bench.output import emit
from imdb_sentiment import Config, load_imdb, tokenize
from imdb_sentiment.calibration import Platt, brier_score, expected_calibration_error
from imdb_sentiment.models.linear import NBSVM


def figures(labels, scores) -> dict:
    p = expit(scores)
    return {"accuracy": float(((scores >= 0) == labels).mean()),
            "ece": expected_calibration_error(labels, p), "brier": brier_score(labels, p)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--preset", default="nbsvm")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1337, 1, 2])
    args = parser.parse_args()
    train = load_imdb(args.data).train
    tokens = [tokenize(t) for t in train.texts]
    labels = train.labels
    rows = []
    for seed in args.seeds:
        config = Config.preset(args.preset, seed=seed)
        order = np.random.default_rng(seed).permutation(len(tokens))
        fifth = len(order) // 5
        h, v, a = order[:fifth], order[fifth:2 * fifth], order[2 * fifth:]

        def fit(rows, config=config):
            return NBSVM.fit([tokens[i] for i in rows], labels[rows], config)

        def scores(model, rows):
            return model.decision(model.vocabulary.transform([tokens[i] for i in rows]))

        model_a = fit(a)
        on_v = scores(model_a, v)
        platt = Platt.fit(on_v, labels[v])
        model_av = fit(np.concatenate([a, v]))
        raw_h, a_h = scores(model_av, h), scores(model_a, h)
        rows.append({
            "seed": seed, "validation_ece": expected_calibration_error(labels[v], expit(on_v)),
            "platt": platt.to_json(),
            "refit_raw": figures(labels[h], raw_h),
            "refit_transferred_platt": figures(labels[h], platt.logit(raw_h)),
            "no_refit_platt": figures(labels[h], platt.logit(a_h)),
            "no_refit_raw": figures(labels[h], a_h)})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    emit({"preset": args.preset, "seeds": rows}, "nbsvm_calibration")


if __name__ == "__main__":
    main()
