"""What a per-epoch checkpoint costs (checkpoint.py): size, seconds to save and to restore.

    .venv/bin/python -m bench.checkpoint_cost [--cell lstm] [--saves 5]

Prints one JSON document. Compare ``save_s`` with an epoch's seconds (README, BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.output import emit


def main() -> None:
    from imdb_sentiment.checkpoint import Checkpoint, StopOnInterrupt
    from imdb_sentiment.config import Config
    from imdb_sentiment.model import build_model, compile_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", default="simple_rnn")
    parser.add_argument("--saves", type=int, default=5)
    args = parser.parse_args()
    config = Config(cell=args.cell)
    model = compile_model(build_model(config), config)  # build_model no longer compiles
    model.optimizer.build(model.trainable_variables)
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Checkpoint(Path(folder), StopOnInterrupt())
        checkpoint.set_model(model)
        saves = []
        for n in range(1, args.saves + 1):
            start = time.perf_counter()
            checkpoint.save(n)
            saves.append(round(time.perf_counter() - start, 3))
        size = sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
        start = time.perf_counter()
        fresh = compile_model(build_model(config), config)
        Checkpoint(Path(folder), StopOnInterrupt()).restore(fresh)
        restore = round(time.perf_counter() - start, 3)
    emit({"cell": args.cell, "checkpoint_mb": round(size / 1e6, 1), "save_s": saves,
          "restore_s": restore}, "checkpoint_cost")


if __name__ == "__main__":
    main()
