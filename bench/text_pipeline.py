"""Text to ids for the 50,000 labeled reviews: the reference tokenizer against tokens.py, and the
encoded-data cache against reading and encoding the archive. One JSON document on stdout.

    python -m bench.text_pipeline --archive ../shared/data/aclImdb.tar.gz [--repeats 5]

Both ways run alternately in one process, ``--repeats`` times each; medians and ranges, and the
ratio of the medians, so that load from other processes shifts both alike.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench.output import emit
from bench.timing import seconds
from imdb_sentiment import Config, cache, load_imdb
from imdb_sentiment.text import Vocabulary, tokenize
from imdb_sentiment.tokens import build_and_encode


def reference(train: list[str], test: list[str], config: Config):
    """The way training encoded before tokens.py: one tokenize() call per review."""
    tokens = [tokenize(t) for t in train]
    vocabulary = Vocabulary.from_tokens(tokens, config.max_features)
    return (vocabulary, vocabulary.encode_token_lists(tokens, config.maxlen),
            vocabulary.encode_token_lists(map(tokenize, test), config.maxlen))


def arrays(train: list[str], test: list[str], config: Config):
    vocabulary, x_train = build_and_encode(train, config.max_features, config.maxlen)
    return vocabulary, x_train, vocabulary.encode_batch(test, config.maxlen)


def summary(times: list[float]) -> dict:
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3), "runs": len(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    config = Config()
    imdb, read_s = seconds(load_imdb, options.archive)
    train, test = imdb.train.texts, imdb.test.texts
    times: dict[str, list[float]] = {"reference": [], "arrays": []}
    for _ in range(options.repeats):
        for name, way in (("reference", reference), ("arrays", arrays)):
            result, elapsed = seconds(way, train, test, config)
            times[name].append(elapsed)
            if name == "reference":
                expected = result
            else:
                assert result[0] == expected[0]
                assert all((a == b).all() for a, b in zip(result[1:], expected[1:], strict=True))
    with tempfile.TemporaryDirectory() as folder:
        import os

        os.environ["IMDB_SENTIMENT_CACHE"] = folder
        build = lambda: cache.encode_data(load_imdb(options.archive), config)  # noqa: E731
        _, first_s = seconds(cache.load_or_build, Path(options.archive), config, build)
        cached = [seconds(cache.load_or_build, Path(options.archive), config, build)[1]
                  for _ in range(options.repeats)]
        size = sum(p.stat().st_size for p in Path(folder, "encoded").glob("*.npz"))
    ref, fast = summary(times["reference"]), summary(times["arrays"])
    emit({
        "reviews": len(train) + len(test),
        "tokenize_count_encode_pad": {"reference": ref, "arrays": fast,
                                      "speedup": round(ref["median_s"] / fast["median_s"], 2)},
        "read_archive_s": round(read_s, 2),
        "encoded_data": {"first_run_s": round(first_s, 2), "cached": summary(cached),
                         "speedup": round(first_s / statistics.median(cached), 1),
                         "npz_mb": round(size / 1e6, 1)},
    }, "text_pipeline")


if __name__ == "__main__":
    main()
