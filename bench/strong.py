"""The ``strong`` preset (and with ``--best`` the ``best`` ensemble) on the real data.

For each seed: ``train(imdb, Config.preset("strong", seed=seed, **settings))`` exactly as
``imdb-sentiment train --preset strong`` runs it; with ``--best`` then
``Ensemble.train(imdb, Config.preset("best", seed=seed, ...), birnn=that model)`` (the same
code ``--preset best`` runs, with its birnn member reused instead of trained a second time: the
same config and seed would train the same model). Each model is saved and reloaded; from the
reloaded bundle: test accuracy, ROC AUC, ECE, Brier (the 25,000 test reviews, their only use),
bundle size, load time and throughput (``predict_proba`` on the first ``--throughput`` test
reviews in batches of 1,000 after one warm-up batch). ``train_seconds`` is the wall time of
training, word-vector pretraining included, with ``pretrain_seconds`` shown apart (0-1 s when
the vectors come from the cache: ``cached``).

``--val-only`` (ablations): no test figures at all; the validation split's accuracy and loss at
the best epoch. ``--set key=value`` overrides a setting (``--set pooling=last``).

    flock /tmp/cpu.lock .venv/bin/python -m bench.strong --data ../shared/data/aclImdb.tar.gz \\
        --seeds 1337 1 2 --best

Each model's figures go to standard error as it finishes; the document on standard output holds
them all and their summary.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.output import emit
from imdb_sentiment import Classifier, Config, load_imdb, train
from imdb_sentiment.data import ImdbData
from imdb_sentiment.evaluate import compute_metrics

BATCH = 1000
FIGURES = ("test_accuracy", "test_roc_auc", "test_ece", "test_brier", "train_seconds",
           "bundle_mb", "load_s", "reviews_per_s", "val_accuracy", "val_loss", "epoch")


def measure(classifier, imdb, folder: Path, name: str, n_texts: int) -> dict:
    """Figures of the saved and reloaded bundle."""
    path = classifier.save(folder / name)
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    start = time.perf_counter()
    loaded = Classifier.load(path)
    out = {"bundle_mb": size / 2**20, "load_s": time.perf_counter() - start}
    texts = imdb.test.texts
    loaded.predict_proba(texts[:BATCH])  # warm-up: compiles the batch shapes
    start = time.perf_counter()
    loaded.predict_proba(texts[:n_texts])
    out["reviews_per_s"] = n_texts / (time.perf_counter() - start)
    scores = loaded.predict_proba(texts)
    test = compute_metrics(imdb.test.labels, scores)
    out.update(test_accuracy=test["accuracy"], test_roc_auc=test["roc_auc"],
               test_ece=test["ece"], test_brier=test["brier"])
    return out


def summary(runs: list[dict]) -> dict:
    out = {}
    for name in FIGURES:
        values = [run[name] for run in runs if name in run]
        if values:
            out[name] = {"mean": statistics.fmean(values), "min": min(values),
                         "max": max(values),
                         "stdev": statistics.stdev(values) if len(values) > 1 else 0.0}
    return out


def parse_settings(pairs: list[str]) -> dict:
    fields = Config().to_dict()
    settings = {}
    for pair in pairs:
        key, value = pair.split("=", 1)
        kind = type(fields[key])
        settings[key] = (value.lower() in ("1", "true", "yes")) if kind is bool else kind(value)
    return settings


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1337, 1, 2])
    parser.add_argument("--set", dest="settings", action="append", default=[])
    parser.add_argument("--best", action="store_true")
    parser.add_argument("--val-only", action="store_true")
    parser.add_argument("--throughput", type=int, default=5000)
    parser.add_argument("--label", default="strong")
    args = parser.parse_args(argv)
    settings = parse_settings(args.settings)
    start = time.perf_counter()
    imdb = load_imdb(args.data)
    load_s = time.perf_counter() - start
    if args.val_only:
        imdb = ImdbData(train=imdb.train, test=imdb.test.take([]), source=imdb.source)
    report = {"label": args.label, "settings": settings, "load_data_s": load_s,
              "strong": [], "best": []}
    # training's progress (Keras's epochs, the word vectors) goes to stderr: stdout is the document
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(sys.stderr):
        for seed in args.seeds:
            config = Config.preset("strong", seed=seed, **settings)
            start = time.perf_counter()
            strong = train(imdb, config, verbose=2)
            run = {"seed": seed, "train_wall_s": time.perf_counter() - start,
                   **{k: v for k, v in strong.metrics.items() if not isinstance(v, dict)},
                   "calibration": strong.metrics.get("calibration"),
                   "val_loss": min(strong.history["val_loss"]),
                   "history": strong.history}
            if not args.val_only:
                run.update(measure(strong, imdb, Path(folder), f"strong-{seed}",
                                   args.throughput))
            report["strong"].append(run)
            print(json.dumps({"strong": run}), file=sys.stderr, flush=True)
            if args.best:
                from imdb_sentiment.models.ensemble import Ensemble

                best_config = Config.preset("best", seed=seed, **settings)
                start = time.perf_counter()
                best = Ensemble.train(imdb.train, imdb.test, best_config, verbose=1,
                                      birnn=strong, unsup_source=imdb.source)
                run = {"seed": seed, "stack_wall_s": time.perf_counter() - start,
                       **{k: v for k, v in best.metrics.items()}}
                if not args.val_only:
                    run.update(measure(best, imdb, Path(folder), f"best-{seed}",
                                       args.throughput))
                report["best"].append(run)
                print(json.dumps({"best": run}), file=sys.stderr, flush=True)
    report["summary"] = {"strong": summary(report["strong"]), "best": summary(report["best"])}
    report["summary"]["load_data_s"] = load_s  # load_imdb: the labeled reviews
    return emit(report, "strong", argv)


if __name__ == "__main__":
    main()
