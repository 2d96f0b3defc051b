"""Raw-text scoring of the 25,000 test reviews, CSV to CSV: pipelined (scoring.score_file) against
the same steps one after the other, for several batch sizes; and each step's own time.

    python -m bench.score_pipeline --model runs/classic --data ../shared/data/aclImdb.tar.gz

Past start-up: the bundle is loaded and every batch shape compiled by a warm-up pass first.
Prints one JSON document; the ratio of pipelined to serial is measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
from pathlib import Path

from bench.output import emit
from bench.timing import seconds
from imdb_sentiment import Classifier, load_imdb
from imdb_sentiment.scoring import COLUMNS, result_row, score_file
from imdb_sentiment.sources import RecordWriter, TextSource, batched


def serial(classifier, source, output, batch_size) -> int:
    """score_file's work without the thread: read, encode, predict, write, in turn."""
    with RecordWriter(output, COLUMNS) as writer:
        for batch in batched(source, batch_size):
            results = classifier.predict_encoded(classifier.encode([r.text for r in batch]))
            writer.write(result_row(r, p) for r, p in zip(batch, results, strict=True))
    return writer.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[250, 500, 1000, 2000, 4000])
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    classifier = Classifier.load(options.model)
    # past start-up: Keras loaded, so that every batch is scored by XLA, as in a long-running
    # process (a fresh recurrent one scores its first reviews in NumPy: bench/cold_predict.py)
    classifier.kind_model.load_lazy_parts()
    test = load_imdb(options.data).test
    with tempfile.TemporaryDirectory() as folder:
        reviews, output = Path(folder, "reviews.csv"), Path(folder, "out.csv")
        with open(reviews, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["id", "text"])
            writer.writerows(zip(test.ids, test.texts, strict=True))
        texts = test.texts
        ids = classifier.encode(texts)
        classifier.predict_ids(ids)  # warm-up: compiles every batch shape
        n = len(texts)
        steps = {
            "read_csv_s": seconds(lambda: list(TextSource(reviews)))[1],
            "tokenize_encode_s": seconds(classifier.encode, texts)[1],
            "model_s": seconds(classifier.predict_ids, ids)[1],
        }
        rows = []
        for batch_size in options.batch_sizes:
            times = {"pipelined": [], "serial": []}
            for _ in range(options.repeats):
                for name, way in (("pipelined", None), ("serial", serial)):
                    source = TextSource(reviews)
                    if way is None:
                        count, s = seconds(score_file, classifier, source, output,
                                           batch_size=batch_size)
                    else:
                        count, s = seconds(way, classifier, source, output, batch_size)
                    assert count == n
                    times[name].append(s)
            p, q = statistics.median(times["pipelined"]), statistics.median(times["serial"])
            rows.append({"batch_size": batch_size,
                         "pipelined_reviews_per_s": round(n / p),
                         "pipelined_range": [round(n / max(times["pipelined"])),
                                             round(n / min(times["pipelined"]))],
                         "serial_reviews_per_s": round(n / q), "speedup": round(q / p, 2)})
    total = sum(steps.values())
    emit({
        "reviews": n, "cell": classifier.config.cell,
        "steps": {k: round(v, 3) for k, v in steps.items()},
        "shares": {k.removesuffix("_s"): round(v / total, 2) for k, v in steps.items()},
        "batch_sizes": rows}, "score_pipeline")


if __name__ == "__main__":
    main()
