"""A preset on the real data, several seeds: prints one JSON document.

For each seed, ``train(imdb, Config.preset(NAME, seed=seed))`` exactly as
``imdb-sentiment train --preset NAME`` runs it (for ``nbsvm`` the seed decides the validation
split that calibration is fitted on, and liblinear's shuffling; the final fit is on all 25,000
training reviews), then, from the saved and reloaded bundle: test accuracy, ROC AUC, ECE and
Brier score (on the 25,000 test reviews, the test set's only use), the wall time of ``train``
(its own test measurements included; nbsvm's ``train_seconds`` in ``training_metrics`` leaves
them out), bundle size on disk, load time, and prediction throughput
(``Classifier.predict_proba`` on the 25,000 raw test reviews in batches of 1,000, as
``predict --input`` reads them, after one warm-up batch). Then the mean, the spread (min-max) and
the standard deviation over the seeds.

``--featurizer`` (nbsvm) also times ``models/ngrams.py`` against scikit-learn's
``CountVectorizer`` building the same binary n-gram matrix of the 25,000 training reviews, in the
same process.

    flock /tmp/cpu.lock .venv/bin/python -m bench.presets --data ../shared/data/aclImdb.tar.gz \\
        --preset nbsvm --seeds 1337 1 2 --featurizer
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.output import emit
from imdb_sentiment import Classifier, Config, load_imdb, tokenize, train
from imdb_sentiment.evaluate import compute_metrics

BATCH = 1000
FIGURES = ("test_accuracy", "test_roc_auc", "test_ece", "test_brier", "train_seconds",
           "bundle_mb", "load_s", "reviews_per_s")


def one_seed(imdb, preset: str, seed: int, folder: Path) -> dict:
    config = Config.preset(preset, seed=seed)
    start = time.perf_counter()
    classifier = train(imdb, config, verbose=0)
    train_s = time.perf_counter() - start
    path = classifier.save(folder / f"{preset}-{seed}")
    size = sum(p.stat().st_size for p in path.iterdir())
    start = time.perf_counter()
    loaded = Classifier.load(path)
    load_s = time.perf_counter() - start
    texts = imdb.test.texts
    loaded.predict_proba(texts[:BATCH])  # warm-up: compiles a recurrent model's batch shapes
    start = time.perf_counter()
    scores = np.concatenate([loaded.predict_proba(texts[i:i + BATCH])
                             for i in range(0, len(texts), BATCH)])
    predict_s = time.perf_counter() - start
    test = compute_metrics(imdb.test.labels, scores)
    m = classifier.metrics
    return {"seed": seed, "test_accuracy": test["accuracy"], "test_roc_auc": test["roc_auc"],
            "test_ece": test["ece"], "test_brier": test["brier"], "train_seconds": train_s,
            "bundle_mb": size / 2**20, "load_s": load_s, "reviews_per_s": len(texts) / predict_s,
            "training_metrics": {k: v for k, v in m.items() if not isinstance(v, dict)},
            "calibration": m.get("calibration"), "settings": config.to_dict()}


def featurizer(imdb, n: int, min_df: int) -> dict:
    from sklearn.feature_extraction.text import CountVectorizer

    from imdb_sentiment.models.ngrams import NgramVocabulary

    tokens = [tokenize(t) for t in imdb.train.texts]

    def grams(t):
        return [" ".join(t[i:i + k]) for k in range(1, n + 1) for i in range(len(t) - k + 1)]

    start = time.perf_counter()
    vocabulary, ours = NgramVocabulary.fit(tokens, n, min_df)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = CountVectorizer(analyzer=grams, binary=True, min_df=min_df).fit_transform(tokens)
    sklearn_s = time.perf_counter() - start
    assert ours.shape == theirs.shape and ours.nnz == theirs.nnz
    return {"ngrams": n, "min_df": min_df, "columns": len(vocabulary),
            "ngrams_py_s": ours_s, "countvectorizer_s": sklearn_s,
            "ratio": sklearn_s / ours_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--preset", default="nbsvm")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1337, 1, 2])
    parser.add_argument("--featurizer", action="store_true")
    args = parser.parse_args()
    imdb = load_imdb(args.data)
    report = {"preset": args.preset, "runs": []}
    with tempfile.TemporaryDirectory() as folder:
        for seed in args.seeds:
            report["runs"].append(one_seed(imdb, args.preset, seed, Path(folder)))
            print(json.dumps(report["runs"][-1]), file=sys.stderr, flush=True)
    report["summary"] = {
        name: {"mean": statistics.fmean(values), "min": min(values), "max": max(values),
               "stdev": statistics.stdev(values) if len(values) > 1 else 0.0}
        for name in FIGURES for values in [[run[name] for run in report["runs"]]]}
    if args.featurizer:
        settings = report["runs"][0]["settings"]
        report["featurizer"] = featurizer(imdb, settings["ngrams"], settings["min_df"])
    emit(report, "presets", indent=1)


if __name__ == "__main__":
    main()
