"""Data-parallel training: ``train --distributed`` in 1 process and in 2 on 127.0.0.1.

Runs the classic configuration for ``--epochs`` on the real archive, once as one process and once
as two processes (one CPU device each, gloo over loopback), and prints each run's Keras step time
(ms per global batch of 32), epoch seconds and loss curve, and the largest difference between the
two curves.

    .venv/bin/python -m bench.distributed_training --data ../shared/data/aclImdb.tar.gz --epochs 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.output import emit

STEP = re.compile(r"(\d+)/\d+ - (\d+)s - (\d+)ms/step")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(data: str, epochs: int, processes: int, folder: Path) -> dict:
    base = [sys.executable, "-m", "imdb_sentiment.cli", "train", "--data", data, "--epochs",
            str(epochs), "-q", "--distributed", "--output", str(folder / f"p{processes}")]
    port = free_port()
    commands = [base] if processes == 1 else [
        [*base, "--coordinator", f"127.0.0.1:{port}", "--processes", str(processes),
         "--process-id", str(i)] for i in range(processes)]
    running = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for c in commands]
    outputs = [p.communicate()[0] for p in running]
    if any(p.returncode for p in running):
        raise SystemExit("\n".join(o[-2000:] for o in outputs))
    steps = [tuple(map(int, m)) for m in STEP.findall(outputs[0])]
    history = json.loads((folder / f"p{processes}" / "history.json").read_text())
    return {"processes": processes, "ms_per_step": [s[2] for s in steps],
            "epoch_s": [s[1] for s in steps], "loss": history["loss"],
            "test_accuracy": history["test_accuracy"]}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=os.environ.get("IMDB_SENTIMENT_DATA"))
    p.add_argument("--epochs", type=int, default=1)
    options = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="imdb-dist-bench-") as tmp:
        one, two = (run(options.data, options.epochs, n, Path(tmp)) for n in (1, 2))
    doc = {"one": one, "two": two,
           "step_ratio_two_over_one": round(two["ms_per_step"][-1] / one["ms_per_step"][-1], 2),
           "max_loss_difference": max(abs(a - b) for a, b in zip(one["loss"], two["loss"],
                                                                   strict=True))}
    return emit(doc, "distributed_training", argv)


if __name__ == "__main__":
    main()
