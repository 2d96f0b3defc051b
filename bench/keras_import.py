"""Importing Keras in a fresh process: plain ``import keras`` against the package's way
(``imdb_sentiment.keras_import``, without pandas and scikit-learn). One JSON document on stdout.

    python -m bench.keras_import [--repeats 7]

The two ways alternate, ``--repeats`` fresh processes each; medians, ranges and their ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from bench.output import emit
from bench.timing import seconds, spread

WAYS = {
    "import keras": "import keras",
    "imdb_sentiment.keras_import": "from imdb_sentiment.keras_import import keras",
}


def fresh_process(code: str) -> None:
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {name: [] for name in WAYS}
    fresh_process("pass")  # warm the page cache
    for _ in range(args.repeats):
        for name, code in WAYS.items():
            times[name].append(seconds(fresh_process, code)[1])
    figures = {name: spread(values, 3) for name, values in times.items()}
    ratio = figures["import keras"]["median"] / figures["imdb_sentiment.keras_import"]["median"]
    return emit({"seconds": figures, "ratio": round(ratio, 2)}, "keras_import", argv)


if __name__ == "__main__":
    main()
