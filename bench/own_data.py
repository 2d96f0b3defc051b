"""Training on your own data at scale: reading + encoding a large labeled CSV, its peak memory.

    python -m bench.own_data --rows 2000000 --csv /tmp/own_data_2m.csv [--modes stream naive pandas]
    python -m bench.own_data --rows 2000000 --csv /tmp/own_data_2m.csv --modes train

The file is synthetic and reproducible (``--seed``): reviews of 8 to 80 words drawn from a Zipf
vocabulary of 50,000 made-up words, with sentiment words that lean with the label, labels
``positive``/``negative`` in a ``sentiment`` column and the text in ``review``. It is written once
and reused when it is already there with the same settings.

Each mode runs in its own process, so its peak resident memory (``VmHWM``) is its own:

- ``stream``: what ``train --input`` does before the model: ``open_labeled`` (the check pass),
  the stratified 10% split, then ``encoding.encode_sets`` (tokens counted per batch, ids into
  int32 matrices) with the classic preset's ``max_features`` and ``maxlen``;
- ``counter``: the same file reading, but two tokenizing passes: a ``Counter`` per batch merged
  into the vocabulary, then each batch tokenized again and encoded (``Vocabulary.encode_batch``);
- ``naive``: every record into memory (``sources.read_labeled``), every review tokenized into
  lists, a Counter over them, ``Vocabulary.encode_token_lists``: the in-memory way;
- ``pandas``: ``pandas.read_csv`` of the two columns, then the same tokenize-all encoding;
- ``train``: ``imdb-sentiment train --input ... --epochs 1`` with the classic preset, its peak
  memory from ``/usr/bin/time -v`` (the whole command: reading, encoding, Keras, the test pass).

Reviews/s is rows / wall seconds of reading + encoding. Other processes on a shared machine may
run at the same time: compare the modes of one run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

WORDS, SENTIMENT_WORDS = 50_000, 400
ROOT = Path(__file__).resolve().parents[1]


def generate(path: Path, rows: int, seed: int) -> None:
    """The synthetic labeled CSV (see the module docstring), written in chunks."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(2, 10, size=WORDS)
    vocab = np.array(["".join(rng.choice(letters, n)) for n in lengths], dtype=object)
    zipf = 1.0 / np.arange(1, WORDS + 1)
    zipf /= zipf.sum()
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(["id", "review", "sentiment"])
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            labels = rng.integers(0, 2, size=n)
            sizes = rng.integers(8, 81, size=n)
            picks = vocab[rng.choice(WORDS, size=int(sizes.sum()), p=zipf)]
            # about one word in ten is a sentiment word; 80% of them agree with the label
            lean = rng.random(len(picks)) < 0.1
            row_of = np.repeat(np.arange(n), sizes)
            agree = rng.random(len(picks)) < 0.8
            polarity = np.where(agree, labels[row_of], 1 - labels[row_of])
            picks[lean] = [f"{'good' if p else 'bad'}{k}" for p, k in zip(
                polarity[lean], rng.integers(0, SENTIMENT_WORDS, int(lean.sum())), strict=True)]
            ends = np.cumsum(sizes)
            for i, (label, end, size) in enumerate(zip(labels, ends, sizes, strict=True)):
                text = " ".join(picks[end - size:end]).capitalize() + "."
                out.writerow([start + i, text, "positive" if label else "negative"])
    os.replace(tmp, path)


def measure(mode: str, path: str) -> dict:
    """One mode, in this process: seconds and peak RSS of reading + encoding."""
    sys.path.insert(0, str(ROOT / "src"))
    from imdb_sentiment import Config

    config = Config()  # the classic preset: max_features 20000, maxlen 80
    start = time.perf_counter()
    if mode == "stream":
        from imdb_sentiment.encoding import encode_sets
        from imdb_sentiment.labeled import open_labeled

        labeled = open_labeled(path, text_column="review", label_column="sentiment")
        checked = time.perf_counter() - start
        train_set, test_set = labeled.stratified_split(0.1, config.seed)
        encoded = encode_sets(train_set, test_set, config)
        shapes = [encoded.x_train.shape, encoded.x_test.shape]
        extra = {"check_pass_s": round(checked, 1)}
    elif mode == "counter":
        from collections import Counter

        from imdb_sentiment.labeled import open_labeled
        from imdb_sentiment.text import Vocabulary, tokenize

        labeled = open_labeled(path, text_column="review", label_column="sentiment")
        train_set, test_set = labeled.stratified_split(0.1, config.seed)
        counts = Counter()
        for texts in train_set.texts():  # pass 1: a Counter per batch, merged
            counts.update(Counter(w for t in texts for w in tokenize(t)))
        vocabulary = Vocabulary.from_counts(counts, config.max_features) if hasattr(
            Vocabulary, "from_counts") else Vocabulary(tuple(w for w, _ in sorted(
                counts.items(), key=lambda i: (-i[1], i[0]))[:config.max_features - 3]),
                config.max_features)
        shapes = []
        for part in (train_set, test_set):  # pass 2: tokenized again, encoded per batch
            x, row = np.zeros((len(part), config.maxlen), np.int32), 0
            for texts in part.texts():
                x[row:row + len(texts)] = vocabulary.encode_batch(texts, config.maxlen)
                row += len(texts)
            shapes.append(x.shape)
        extra = {}
    else:
        from imdb_sentiment.text import Vocabulary, tokenize

        if mode == "naive":
            from imdb_sentiment.sources import TextSource, read_labeled

            data = read_labeled(TextSource(path, text_column="review",
                                           label_column="sentiment"))
            texts, labels = data.texts, data.labels
        else:
            import pandas

            frame = pandas.read_csv(path, usecols=["review", "sentiment"])
            texts = frame["review"].tolist()
            labels = (frame["sentiment"] == "positive").to_numpy(np.int8)
            del frame
        test = np.zeros(len(texts), dtype=bool)
        test[np.random.default_rng(config.seed).permutation(len(texts))[:len(texts) // 10]] = 1
        tokens = [tokenize(t) for t, held in zip(texts, test, strict=True) if not held]
        vocabulary = Vocabulary.from_tokens(tokens, config.max_features)
        x_train = vocabulary.encode_token_lists(tokens, config.maxlen)
        x_test = vocabulary.encode_batch([t for t, h in zip(texts, test, strict=True) if h],
                                         config.maxlen)
        shapes, extra = [x_train.shape, x_test.shape], {"labels": int(labels.sum())}
    seconds = time.perf_counter() - start
    rows = shapes[0][0] + shapes[1][0]
    return {"mode": mode, "rows": rows, "seconds": round(seconds, 1),
            "reviews_per_s": round(rows / seconds), "shapes": [list(s) for s in shapes],
            "peak_rss_mb": peak_rss_mb(), **extra}


def peak_rss_mb() -> int:
    """This process's peak resident memory: ``VmHWM``, not ``ru_maxrss``, which Linux carries
    over ``execve`` from the parent that forked this process (here, the one that wrote the CSV)."""
    status = Path("/proc/self/status").read_text()
    return round(int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024)


def train(path: Path, output: Path) -> dict:
    """``imdb-sentiment train --input`` (classic preset, 1 epoch) under ``/usr/bin/time -v``."""
    command = [sys.executable, "-m", "imdb_sentiment.cli", "train", "--input", str(path),
               "--text-column", "review", "--label-column", "sentiment", "--epochs", "1",
               "--output", str(output), "--force", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *command], env=env, capture_output=True,
                          text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"train failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)[1])
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return {"mode": "train", "seconds": round(seconds), "peak_rss_mb": round(peak / 1024),
            "command": " ".join(command[1:]), "output_tail": lines[-4:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--csv", type=Path, default=Path("/tmp/own_data.csv"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--modes", nargs="+", default=["stream", "naive"],
                        choices=["stream", "counter", "naive", "pandas", "train"])
    parser.add_argument("--output", type=Path, default=Path("/tmp/own_data_run"),
                        help="bundle folder of the train mode")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # one mode, in a child process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, str(args.csv))))
        return
    stamp = args.csv.with_name(args.csv.name + ".json")
    settings = {"rows": args.rows, "seed": args.seed, "words": WORDS}
    if not (args.csv.exists() and stamp.exists() and json.loads(stamp.read_text()) == settings):
        start = time.perf_counter()
        generate(args.csv, args.rows, args.seed)
        stamp.write_text(json.dumps(settings))
        print(f"wrote {args.csv} ({args.csv.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
    report = {"file": str(args.csv), "mb": round(args.csv.stat().st_size / 1e6), **settings,
              "cpus": os.cpu_count(), "results": []}
    for mode in args.modes:
        if mode == "train":
            result = train(args.csv, args.output)
        else:
            done = subprocess.run([sys.executable, __file__, "--csv", str(args.csv),
                                   "--measure", mode], capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"{mode} failed:\n{done.stderr[-3000:]}")
            result = json.loads(done.stdout.splitlines()[-1])
        print(json.dumps(result), flush=True)
        report["results"].append(result)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
