"""bench/train_curves.py runs end to end on the toy archive (figures printed, never asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]  # where ``python -m bench.NAME`` runs


def test_prints_per_epoch_times_and_accuracies(toy_archive):
    command = [sys.executable, "-m", "bench.train_curves", "--data", str(toy_archive), "--cells",
               "gru", "--epochs", "2"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True,
                          timeout=300)
    report = json.loads(done.stdout)
    assert report["reviews"] == 400 and report["read_archive_s"] >= 0
    gru = report["cells"]["gru"]
    assert len(gru["epoch_train_s"]) == len(gru["test_accuracy"]) == 2
    assert all(0 <= a <= 1 for a in gru["test_accuracy"])
