"""bench/accuracy.py runs end to end on the toy archive (figures printed, never asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]  # where ``python -m bench.NAME`` runs


def test_prints_accuracy_per_seed_for_each_variant(toy_archive):
    command = [sys.executable, "-m", "bench.accuracy", "--data", str(toy_archive), "--seeds", "1",
               "2", "--epochs", "1", "--limit", "60", "--variants", "fast", "keras", "lazy"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True,
                          timeout=300)
    report = json.loads(done.stdout)
    assert report["reviews_per_split"] == 60 and report["seeds"] == [1, 2]
    assert set(report["test_accuracy"]) == {"fast", "keras", "lazy"}
    assert report["recurrent_layer"]["keras"].startswith("keras.")
    assert report["recurrent_layer"]["fast"].startswith("imdb_sentiment.recurrent.")
    for layers in ("fast", "keras", "lazy"):
        assert set(report["test_accuracy"][layers]) == {"1", "2"}
        assert all(0 <= a[0] <= 1 for a in report["test_accuracy"][layers].values())
        epoch = report["summary"][layers]["epoch_1"]
        assert epoch["min"] <= epoch["mean"] <= epoch["max"]
