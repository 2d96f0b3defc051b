"""python -m bench.strong runs end to end on the toy archive, strong and best, and validation-only
(figures are printed, never asserted)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
TINY = ["max_features=60", "maxlen=24", "embedding_dim=8", "units=8", "batch_size=16",
        "epochs=2", "learning_rate=0.02", "pretrain_epochs=1"]


def run(tmp_path, *args) -> dict:
    settings = [part for pair in TINY for part in ("--set", pair)]
    command = [sys.executable, "-m", "bench.strong", *map(str, args), *settings]
    env = {**os.environ, "IMDB_SENTIMENT_CACHE": str(tmp_path)}
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env,
                         cwd=ROOT).stdout
    return json.loads(out)


def test_strong_and_best_runs_print_their_figures(toy_archive, tmp_path):
    doc = run(tmp_path, "--data", toy_archive, "--seeds", "3", "--best", "--throughput", 20)
    assert doc["command"].startswith("python -m bench.strong") and "summary" in doc
    (strong,), (best,) = doc["strong"], doc["best"]
    assert strong["seed"] == best["seed"] == 3
    assert {"test_accuracy", "bundle_mb", "reviews_per_s", "pretrain_seconds"} <= set(strong)
    assert set(best["weights"]) == {"birnn", "nbsvm"} and best["bundle_mb"] > strong["bundle_mb"]


def test_validation_only_reads_no_test_figures(toy_archive, tmp_path):
    doc = run(tmp_path, "--data", toy_archive, "--seeds", "3", "--val-only", "--set",
              "pooling=last")
    (strong,) = doc["strong"]
    assert "val_accuracy" in strong and not any(k.startswith("test_") for k in strong)
