"""Using a trained model on the real data: prints one JSON document.

- ``throughput``: the 25,000 raw test reviews, from a CSV file of raw text to a written CSV of
  predictions, through the code path of ``imdb-sentiment predict --input --output``
  (``scoring.score_file``), after one warm-up pass that compiles the model's batch shapes.
- ``latency``: ``Classifier.predict(one review)`` in-process, median and 99th percentile.
- ``explain``: ``Classifier.explain(one review)``, a review longer than maxlen, by each method.
- ``memory``: peak RSS of ``imdb-sentiment predict --input big.txt --output big.csv`` in a
  subprocess, for a file of ``--lines`` short reviews (the test reviews' first sentences, over and
  over) and for a file of 10,000 lines: bounded memory means the two peaks are close.

    flock /tmp/cpu.lock .venv/bin/python -m bench.predict --model runs/classic \\
        --data ../shared/data/aclImdb.tar.gz
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.output import emit
from bench.timing import latency_ms
from imdb_sentiment import Classifier, load_imdb
from imdb_sentiment.scoring import score_file
from imdb_sentiment.sources import TextSource

MEASURES = ("throughput", "latency", "explain", "memory")
SMALL_FILE_LINES = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="bundle folder")
    parser.add_argument("--data", default=os.environ.get("IMDB_SENTIMENT_DATA"),
                        help="aclImdb archive or folder [default: $IMDB_SENTIMENT_DATA]")
    parser.add_argument("--measure", nargs="+", choices=MEASURES, default=list(MEASURES))
    parser.add_argument("--repeats", type=int, default=3, help="throughput runs (best is kept)")
    parser.add_argument("--calls", type=int, default=200, help="latency calls")
    parser.add_argument("--explain-calls", type=int, default=50)
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines of the memory file")
    args = parser.parse_args()

    classifier = Classifier.load(args.model)
    # past start-up: Keras loaded, so that every batch is scored by XLA, as in a long-running
    # process (a fresh recurrent one scores its first reviews in NumPy: bench/cold_predict.py)
    classifier.kind_model.load_lazy_parts()
    test = load_imdb(args.data).test
    report = {"model": str(args.model), "cell": classifier.config.cell,
              "maxlen": classifier.config.maxlen, "python": platform.python_version(),
              "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-predict-") as tmp:
        tmp = Path(tmp)
        if "throughput" in args.measure:
            report["throughput"] = throughput(classifier, test, tmp, args.repeats)
        if "latency" in args.measure:
            review = median_length_review(test.texts)
            report["latency"] = latency_ms(lambda: classifier.predict(review), args.calls)
        if "explain" in args.measure:
            review = median_length_review(test.texts)
            for method in classifier.kind_model.explain_methods:
                report[f"explain_{method}"] = latency_ms(
                    lambda m=method: classifier.explain(review, method=m), args.explain_calls)
            report["explain_review_tokens"] = len(classifier.explain(review).tokens)
        if "memory" in args.measure:
            report["memory"] = memory(args.model, test.texts, tmp, args.lines)
    emit(report, "predict")


def throughput(classifier, test, folder: Path, repeats: int) -> dict:
    """Reviews per second from a CSV of raw text to a CSV of predictions."""
    source = folder / "test.csv"
    with open(source, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows(zip(test.ids, test.texts, strict=True))
    output = folder / "predictions.csv"
    score_file(classifier, TextSource(source), output)  # warm-up: compiles the batch shapes
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        count = score_file(classifier, TextSource(source), output)
        seconds.append(time.perf_counter() - start)
    return {"reviews": count, "seconds": [round(s, 2) for s in seconds],
            "reviews_per_s": round(count / min(seconds)),
            "input_mb": round(source.stat().st_size / 1e6, 1)}


def median_length_review(texts: list[str]) -> str:
    return sorted(texts, key=len)[len(texts) // 2]



def memory(model: Path, texts: list[str], folder: Path, lines: int) -> dict:
    """Peak RSS of the predict command on a small and on a ``lines``-line file."""
    sentences = [s for s in (first_sentence(t) for t in texts) if s]
    result = {}
    for n in (SMALL_FILE_LINES, lines):
        path = folder / f"lines-{n}.txt"
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(s + "\n" for s in itertools.islice(itertools.cycle(sentences), n))
        command = [sys.executable, "-m", "imdb_sentiment.cli", "predict", str(model),
                   "--input", str(path), "--output", str(folder / "out.csv"), "--quiet"]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(command)} failed")
        result[f"{n}_lines"] = {"file_mb": round(path.stat().st_size / 1e6, 1),
                                "peak_rss_mb": round(usage.ru_maxrss / 1024),
                                "seconds": round(seconds, 1),
                                "lines_per_s": round(n / seconds)}
        path.unlink()
    return result


def first_sentence(text: str) -> str:
    """Up to the first full stop, exclamation or question mark, on one line, at most 200 chars."""
    return re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0][:200]


if __name__ == "__main__":
    main()
