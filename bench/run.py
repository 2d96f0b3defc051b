"""The benchmark suite: one JSON document on stdout, then a short table on stderr.

    make bench                                   # everything, a few minutes
    .venv/bin/python -m bench.run --quick        # fewer steps and samples
    .venv/bin/python -m bench.run --only machine train_simple_rnn
    .venv/bin/python -m bench.run --steps 0      # full 25,000-review training epochs
    .venv/bin/python -m bench.run --baseline     # Keras's own recurrent layers, default malloc
    .venv/bin/python -m bench.run --embedding-update lazy   # Adam on the batch's rows only

Real data when the archive exists ($IMDB_SENTIMENT_DATA, else ../shared/data/aclImdb.tar.gz),
else synthetic token ids of the same shapes; the document's ``source`` says which. Each part runs
in its own process, so ``peak_rss_mb`` is that part's own peak. Training is timed over
``--steps`` batches per call (200 by default) and extrapolated to a 25,000-review epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import common
from bench.output import head
from bench.report import table
from bench.timing import peak_rss_mb

CELLS = ("simple_rnn", "lstm", "gru")
PARTS = ("data", "machine", *(f"train_{c}" for c in CELLS), "scale", "predict")
ROOT = Path(__file__).resolve().parents[1]  # the repository: where ``python -m bench`` works
SHARED_ARCHIVE = ROOT.parent / "shared" / "data" / "aclImdb.tar.gz"


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", choices=PARTS, help="run these parts (data always runs)")
    p.add_argument("--quick", action="store_true", help="fewer steps, samples and repeats")
    p.add_argument("--synthetic", action="store_true", help="synthetic ids even if data exists")
    p.add_argument("--tiny", action="store_true", help="tiny sizes, for the tests only")
    p.add_argument("--steps", type=int, default=200, help="batches per timed fit (0: an epoch)")
    p.add_argument("--baseline", action="store_true",
                   help="train with Keras's own recurrent layers and malloc as it comes: the "
                        "figures before recurrent.py and runtime.py")
    p.add_argument("--embedding-update", choices=("dense", "lazy"), default="dense",
                   help="train with Adam on the whole embedding table (the default) or only on "
                        "the rows each batch uses (--embedding-update lazy)")
    p.add_argument("--child", choices=PARTS, help=argparse.SUPPRESS)
    p.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--archive", help=argparse.SUPPRESS)
    options = p.parse_args(argv)
    if options.baseline and options.embedding_update != "dense":
        p.error("--baseline measures Keras's own training step: only --embedding-update dense")
    defaults = dict(max_features=20000, embedding_dim=128, units=128, matmul_size=2048,
                    repeats=20, eval_reviews=common.TEST_REVIEWS, synthetic_reviews=25000,
                    scale_maxlens=(80, 200, 400), scale_batches=(32, 128, 512),
                    scale_samples=2048, predict_batches=(1, 32, 1024), predict_reviews=4096)
    if options.quick:
        defaults.update(repeats=5, eval_reviews=5 * 1024, scale_samples=1024,
                        predict_reviews=2048)
        options.steps = min(options.steps or 50, 50)
    if options.tiny:
        defaults.update(max_features=200, matmul_size=64, repeats=1, eval_reviews=64,
                        synthetic_reviews=64, scale_maxlens=(8, 16), scale_batches=(4, 8),
                        scale_samples=8, predict_batches=(1, 4), predict_reviews=8)
        options.steps, options.synthetic = 2, True
    for name, value in defaults.items():
        setattr(options, name, value)
    return options


def data_source(options) -> str | None:
    """The archive to read, or None for synthetic data."""
    if options.synthetic:
        return None
    from imdb_sentiment.data import DATA_ENV

    path = os.environ.get(DATA_ENV) or SHARED_ARCHIVE
    return str(path) if Path(path).exists() else None


def run_child(options) -> dict:
    """Run one part in this process and return its figures with its peak memory."""
    if options.child == "data":
        from bench import data_part

        result = data_part.run(options, options.workdir)
    elif options.child == "machine":
        from bench import machine

        result = machine.run(options, options.workdir)
    else:
        from bench import predict_part, train_part

        workload = common.Workload.load(options.workdir)
        if options.child == "scale":
            result = train_part.run_scale(options, workload)
        elif options.child == "predict":
            result = predict_part.run(options, workload)
        else:
            result = train_part.run_cell(options, workload, options.child.removeprefix("train_"))
    return {**result, "peak_rss_mb": peak_rss_mb()}


def spawn(part: str, argv: list[str], workdir: Path, archive: str | None) -> dict:
    """Run one part in a fresh ``python -m bench.run`` process and return its figures."""
    command = [sys.executable, "-m", "bench.run", *argv, "--child", part, "--workdir", str(workdir)]
    if archive:
        command += ["--archive", archive]
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": path})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    argv = sys.argv[1:] if argv is None else list(argv)
    options = parse(argv)
    if options.child:
        print(json.dumps(run_child(options)))
        return {}
    from bench.limits import limits

    archive = data_source(options)
    parts = [p for p in PARTS if p == "data" or not options.only or p in options.only]
    doc: dict = {**head("run", argv),
                 "recurrent_layers": "keras" if options.baseline else "imdb_sentiment.recurrent",
                 "embedding_update": options.embedding_update,
                 "steps_per_timed_fit": options.steps or "epoch"}
    with tempfile.TemporaryDirectory(prefix="imdb-bench-") as workdir:
        for part in parts:
            result = spawn(part, argv, Path(workdir), archive)
            if part.startswith("train_"):
                doc.setdefault("train", {})[result["cell"]] = result
            else:
                doc[part] = result
    doc["source"] = doc["data"].pop("source")
    machine = doc.get("machine")
    large = f"matmul_{options.matmul_size}x{options.matmul_size}x{options.matmul_size}_gflops"
    for result in doc.get("train", {}).values():
        if machine:
            result["limits"] = limits(machine, result, reviews=common.TRAIN_REVIEWS,
                                      embedding_dim=options.embedding_dim, units=options.units,
                                      large_key=large)
    print(json.dumps(doc, indent=2))
    print(table(doc), file=sys.stderr)
    return doc


if __name__ == "__main__":
    main()
