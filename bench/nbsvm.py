"""The ``nbsvm`` preset on the real data, several seeds: prints one JSON document.

For each seed (it decides the validation split that calibration is fitted on, and liblinear's
shuffling), ``train(imdb, Config.preset("nbsvm", seed=seed))`` exactly as
``imdb-sentiment train --preset nbsvm`` runs it, then: test accuracy, ROC AUC, ECE and Brier
score (measured once, on the 25,000 test reviews), training wall time (tokenizing, the
validation fit, calibration and the final fit; the test pass excluded), bundle size on disk,
load time, and prediction throughput (``Classifier.predict_proba`` on the 25,000 raw test reviews
in batches of 1,000, as ``predict --input`` reads them). Then the mean, the spread (min-max) and
the standard deviation over the seeds.

``--featurizer`` also times ``models/ngrams.py`` against scikit-learn's ``CountVectorizer``
building the same binary n-gram matrix of the 25,000 training reviews, in the same process.

    flock /tmp/cpu.lock .venv/bin/python bench/nbsvm.py --data ../shared/data/aclImdb.tar.gz \\
        --seeds 1337 1 2 --featurizer
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from imdb_sentiment import Classifier, Config, load_imdb, tokenize, train

BATCH = 1000
FIGURES = ("test_accuracy", "test_roc_auc", "test_ece", "test_brier", "train_seconds",
           "bundle_mb", "load_s", "reviews_per_s")


def one_seed(imdb, seed: int, folder: Path) -> dict:
    config = Config.preset("nbsvm", seed=seed)
    classifier = train(imdb, config, verbose=0)
    path = classifier.save(folder / f"nbsvm-{seed}")
    size = sum(p.stat().st_size for p in path.iterdir())
    start = time.perf_counter()
    loaded = Classifier.load(path)
    load_s = time.perf_counter() - start
    texts = imdb.test.texts
    start = time.perf_counter()
    scores = np.concatenate([loaded.predict_proba(texts[i:i + BATCH])
                             for i in range(0, len(texts), BATCH)])
    predict_s = time.perf_counter() - start
    np.testing.assert_allclose(scores[:200], classifier.predict_proba(texts[:200]), atol=1e-6)
    m = classifier.metrics
    return {"seed": seed, **{k: m[k] for k in FIGURES[:5]}, "bundle_mb": size / 2**20,
            "load_s": load_s, "reviews_per_s": len(texts) / predict_s,
            "val_accuracy": m.get("val_accuracy"), "val_ece": m.get("val_ece"),
            "calibration": m.get("calibration"), "ngrams_kept": len(loaded.vocabulary),
            "settings": {k: getattr(config, k) for k in ("ngrams", "min_df", "c", "beta",
                                                          "linear_loss", "validation_split",
                                                          "calibration")}}


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
    parser.add_argument("--seeds", type=int, nargs="+", default=[1337, 1, 2])
    parser.add_argument("--featurizer", action="store_true")
    args = parser.parse_args()
    imdb = load_imdb(args.data)
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": f"{platform.machine()}, {platform.python_version()}", "runs": []}
    with tempfile.TemporaryDirectory() as folder:
        for seed in args.seeds:
            report["runs"].append(one_seed(imdb, seed, Path(folder)))
            print(json.dumps(report["runs"][-1]), flush=True)
    report["summary"] = {
        name: {"mean": statistics.fmean(values), "min": min(values), "max": max(values),
               "stdev": statistics.stdev(values) if len(values) > 1 else 0.0}
        for name in FIGURES for values in [[run[name] for run in report["runs"]]]}
    if args.featurizer:
        settings = report["runs"][0]["settings"]
        report["featurizer"] = featurizer(imdb, settings["ngrams"], settings["min_df"])
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
