"""A one-review ``predict`` from a cold start, and the NumPy path of the recurrent kind against
Keras (XLA): whole-process time, model throughput by batch size, and agreement.

    python -m bench.cold_predict --model runs/classic [--repeats 7]
        [--measure cold throughput threads chunks agreement] [--data ../shared/data/aclImdb.tar.gz]

- ``cold``: ``imdb-sentiment predict MODEL "text"`` as a new process, ``--repeats`` times with
  ``IMDB_SENTIMENT_INFERENCE=keras`` (read and score with Keras, as before the NumPy path) and
  as many times with the default (NumPy), alternately, after one unmeasured run of each (the
  XLA compilation cache is then warm for the Keras runs, as on a user's second call).
- ``throughput``: the model alone (ids in, probabilities out), past start-up: NumPy against the
  Keras path (``predict_encoded``, XLA programs compiled by a warm-up call) at batch 1, 8, 32,
  256 and 4000, interleaved (small batches: the mean of as many calls as make 1,000 reviews);
  reviews per second. For each of ``--cells``: the bundle's own cell with
  its weights, the others with Keras's initial weights of the same shapes (the time does not
  depend on the values).
- ``threads``: NumPy with one OpenBLAS thread (``numpy_rnn.BLAS_THREADS``) against OpenBLAS's
  default, by batch size, interleaved.
- ``chunks``: NumPy at batch 4000 with several internal chunk sizes (``numpy_rnn.CHUNK``).
- ``agreement``: both paths over the whole test split of ``--data`` (25,000 reviews): the
  largest absolute difference of the probabilities and both accuracies.

Prints one JSON document; times in seconds, each a median with its range. Ratios are measured in
the same run, so load from other processes shifts both sides alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

from bench.output import emit
from bench.timing import seconds, spread

REVIEW = "A wonderful, moving film."
MEASURES = ("cold", "throughput", "threads", "chunks", "agreement")


def summary(times: list[float]) -> dict:
    return spread(times, digits=5)


def command_line(model: Path) -> list[str]:
    """The installed ``imdb-sentiment`` script beside this Python (what a user runs), or the
    same three lines through ``-c``."""
    script = Path(sys.executable).with_name("imdb-sentiment")
    if script.exists():
        return [sys.executable, str(script), "predict", str(model), REVIEW]
    return [sys.executable, "-c", "import sys; from imdb_sentiment.cli import main; "
            "sys.exit(main())", "predict", str(model), REVIEW]


def cold(model: Path, repeats: int) -> dict:
    modes = {"keras": {**os.environ, "IMDB_SENTIMENT_INFERENCE": "keras"},
             "numpy": {k: v for k, v in os.environ.items() if k != "IMDB_SENTIMENT_INFERENCE"}}
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    outputs = {}
    for round_ in range(repeats + 1):
        for mode, env in modes.items():
            done, elapsed = seconds(subprocess.run, command_line(model), env=env,
                                    capture_output=True, text=True, check=True)
            outputs[mode] = done.stdout.strip().splitlines()[-1]
            if round_:  # the first round warms the disk and the XLA cache
                times[mode].append(elapsed)
    result = {mode: summary(t) for mode, t in times.items()}
    result["speedup"] = round(result["keras"]["median"] / result["numpy"]["median"], 2)
    result["last_line"] = outputs
    return result


def _loaded(model: Path):
    from imdb_sentiment import Classifier

    classifier = Classifier.load(model)
    kind = classifier.kind_model
    if getattr(kind, "_numpy", None) is None:
        sys.exit(f"{model}: the NumPy path does not read this bundle")
    kind.model  # noqa: B018 - builds the Keras model from the same weights
    return classifier, kind


def _with_cell(classifier, cell: str):
    """The bundle's model, or a model of ``cell`` of the same sizes with initial weights."""
    import dataclasses

    from imdb_sentiment.model import build_model
    from imdb_sentiment.models.rnn import RecurrentModel

    if cell == classifier.config.cell:
        return classifier.kind_model
    config = dataclasses.replace(classifier.config, cell=cell)
    kind = RecurrentModel(None, classifier.vocabulary, config,
                          weights=build_model(config).get_weights())
    kind.model  # noqa: B018
    return kind


def _keras(kind, ids):
    kind.inference = "keras"  # every batch through Keras
    try:
        return kind.predict_encoded(ids)
    finally:
        kind.inference = "auto"


def per_call(call, *args) -> float:
    """Seconds per call, over enough calls to make about 1,000 reviews (batch 1: 1,000 calls)."""
    calls = max(1, 1000 // len(args[-1]))
    return seconds(lambda: [call(*args) for _ in range(calls)])[1] / calls


def _ids(config, batch: int) -> np.ndarray:
    rng = np.random.default_rng(batch)
    return rng.integers(3, config.max_features, (batch, config.maxlen)).astype(np.int32)


def throughput(model: Path, repeats: int, batches: list[int], cells: list[str]) -> dict:
    classifier, _ = _loaded(model)
    out = {}
    for cell in cells:
        kind = _with_cell(classifier, cell)
        out[cell] = {}
        for batch in batches:
            ids = _ids(kind.config, batch)
            _keras(kind, ids)  # compiles the batch's programs (or reads them from the cache)
            kind._numpy(ids)
            times: dict[str, list[float]] = {"numpy": [], "keras": []}
            for _ in range(repeats):
                times["numpy"].append(per_call(kind._numpy, ids))
                times["keras"].append(per_call(_keras, kind, ids))
            row = {mode: {**summary(t), "reviews_per_s": round(batch / statistics.median(t))}
                   for mode, t in times.items()}
            row["numpy_speedup"] = round(statistics.median(times["keras"])
                                         / statistics.median(times["numpy"]), 2)
            out[cell][str(batch)] = row
    return out


def threads(model: Path, repeats: int, batches: list[int]) -> dict:
    from imdb_sentiment.models import numpy_rnn

    classifier, kind = _loaded(model)
    out = {}
    for batch in batches:
        ids = _ids(classifier.config, batch)
        times: dict[str, list[float]] = {"one_thread": [], "default_threads": []}
        for _ in range(repeats):
            for name, limit in (("one_thread", 1), ("default_threads", None)):
                numpy_rnn.BLAS_THREADS = limit
                times[name].append(per_call(kind._numpy, ids))
        numpy_rnn.BLAS_THREADS = 1
        row = {name: {**summary(t), "reviews_per_s": round(batch / statistics.median(t))}
               for name, t in times.items()}
        row["one_thread_speedup"] = round(statistics.median(times["default_threads"])
                                          / statistics.median(times["one_thread"]), 2)
        out[str(batch)] = row
    return out


def chunks(model: Path, repeats: int, sizes: list[int]) -> dict:
    from imdb_sentiment.models import numpy_rnn

    classifier, kind = _loaded(model)
    config = classifier.config
    ids = _ids(config, 4000)
    times: dict[int, list[float]] = {size: [] for size in sizes}
    for _ in range(repeats):
        for size in sizes:
            numpy_rnn.CHUNK = size
            times[size].append(seconds(kind._numpy, ids)[1])
    return {str(size): {**summary(t), "reviews_per_s": round(4000 / statistics.median(t))}
            for size, t in times.items()}


def agreement(model: Path, data: str) -> dict:
    from imdb_sentiment import load_imdb

    classifier, kind = _loaded(model)
    test = load_imdb(data).test
    ids = classifier.encode(test.texts)
    by_numpy, numpy_s = seconds(kind._numpy, ids)
    by_keras, keras_s = seconds(_keras, kind, ids)
    labels = np.asarray(test.labels)
    difference = np.abs(by_numpy - by_keras)
    return {"reviews": len(ids), "max_abs_difference": float(difference.max()),
            "mean_abs_difference": float(difference.mean()),
            "labels_differ": int(((by_numpy >= 0.5) != (by_keras >= 0.5)).sum()),
            "accuracy_numpy": float(((by_numpy >= 0.5) == labels).mean()),
            "accuracy_keras": float(((by_keras >= 0.5) == labels).mean()),
            "numpy_s": round(numpy_s, 3), "keras_s_with_compile": round(keras_s, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a recurrent bundle")
    parser.add_argument("--data", default=None, help="the archive, for --measure agreement")
    parser.add_argument("--measure", nargs="+", choices=MEASURES,
                        default=["cold", "throughput"])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32, 256, 4000])
    parser.add_argument("--cells", nargs="+", default=["simple_rnn", "lstm", "gru"])
    parser.add_argument("--chunk-sizes", type=int, nargs="+", default=[64, 128, 256, 512, 4000])
    options = parser.parse_args()
    if "agreement" in options.measure and options.data is None:
        parser.error("--measure agreement needs --data")
    report: dict = {"model": str(options.model), "review": REVIEW,
                    "load_average": os.getloadavg()}
    if "cold" in options.measure:
        report["cold"] = cold(options.model, options.repeats)
    if "throughput" in options.measure:
        report["throughput"] = throughput(options.model, options.repeats, options.batches,
                                          options.cells)
    if "threads" in options.measure:
        report["threads"] = threads(options.model, options.repeats, options.batches)
    if "chunks" in options.measure:
        report["chunks"] = chunks(options.model, options.repeats, options.chunk_sizes)
    if "agreement" in options.measure:
        report["agreement"] = agreement(options.model, options.data)
    report["load_average_after"] = os.getloadavg()
    emit(report, "cold_predict")


if __name__ == "__main__":
    main()
